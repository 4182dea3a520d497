"""Draw the README's pictures of the musician outputs from the shipped example loop.

    pip install verovio            # engraves the MusicXML score (LGPL; not a dependency)
    python scripts/readme_pictures.py [--out docs/images]

Writes ``score.png`` (the first bars of the drum score, engraved by Verovio from the
MusicXML that ``transcribe --format musicxml`` writes), ``page.png`` (the HTML page
in headless Chromium) and ``midi-grid.png`` (the quantized MIDI's notes over its
tempo map, read back with mido).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import mido

from drummernet.transcription import transcribe
from drummernet.transcription.files import write_outputs
from drummernet.transcription.outputs import TICKS_PER_BEAT, OutputOptions, output_paths

EXAMPLE = Path(__file__).resolve().parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def screenshot(url: str, target: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is needed (make system-deps installs it)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={target}", url],
                   check=True, capture_output=True, timeout=120)  # fmt: skip


def score_picture(musicxml: Path, target: Path, work: Path) -> None:
    import verovio

    toolkit = verovio.toolkit()
    toolkit.setOptions({"pageWidth": 2400, "pageHeight": 900, "scale": 40, "footer": "none",
                        "header": "none", "adjustPageHeight": True})  # fmt: skip
    toolkit.loadFile(str(musicxml))
    svg = work / "score.svg"
    svg.write_text(toolkit.renderToSVG(1))
    page = work / "score.html"
    page.write_text(f'<html><body style="margin:0;background:#fff"><img src="{svg.name}" '
                    'style="width:1200px"></body></html>')  # fmt: skip
    screenshot(page.as_uri(), target, 1200, 420)


def midi_picture(midi: Path, target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ticks, notes, tempos, tick = [], [], [], 0
    for msg in mido.MidiFile(midi).tracks[0]:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            ticks.append(tick / TICKS_PER_BEAT)
            notes.append(msg.note)
        if msg.type == "set_tempo":
            tempos.append((tick / TICKS_PER_BEAT, mido.tempo2bpm(msg.tempo)))
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(12, 4), sharex=True, height_ratios=(3, 1))
    for beat in range(int(max(ticks)) + 2):
        ax.axvline(beat, color="0.85" if beat % 4 else "0.55", lw=0.8, zorder=0)
    ax.scatter(ticks, notes, marker="s", s=14)
    names = {36: "kick 36", 38: "snare 38", 42: "closed hat 42", 46: "open hat 46"}
    ax.set_yticks(sorted(set(notes)), [names.get(n, str(n)) for n in sorted(set(notes))])
    ax.set_title("quantized MIDI (--quantize 1/16): notes on the grid of the tracked beats")
    bx.step([b for b, _ in tempos], [t for _, t in tempos], where="post")
    bx.set_ylabel("tempo (bpm)")
    bx.set_xlabel("beats (quarter notes); dark lines: bar lines")
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="docs/images")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = transcribe(EXAMPLE)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = output_paths(EXAMPLE, ["mid", "musicxml", "html", "wav"], work)
        write_outputs(result, paths, OutputOptions(quantize="1/16"), EXAMPLE)
        score_picture(paths["musicxml"], out / "score.png", work)
        screenshot(paths["html"].as_uri(), out / "page.png", 1280, 900)
        midi_picture(paths["mid"], out / "midi-grid.png")
    print(f"tempo {result.tempo:.2f} bpm; pictures in {out}")


if __name__ == "__main__":
    main()
