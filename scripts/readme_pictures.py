"""Draw the README's pictures of the musician outputs from the shipped example loop.

    python scripts/readme_pictures.py [--out docs/images]   # needs make system-deps

Writes ``score.png`` (the first bars of the drum score, engraved by MuseScore 3 from
the MusicXML that ``transcribe --format musicxml`` writes), ``shuffle.png`` (a
shuffle of the Groove MIDI Dataset written with ``--quantize auto``), ``page.png``
(the HTML page in headless Chromium) and ``midi-grid.png`` (the quantized MIDI's
notes over its tempo map, read back with mido).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import mido

from drummernet.transcription import transcribe
from drummernet.transcription.outputs import TICKS_PER_BEAT, OutputOptions, output_paths
from drummernet.transcription.writing import write_outputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
GMD = ROOT.parent / "shared" / "data" / "groove-midi"
#: A shuffle of the GMD *train* split (pictures choose nothing; validation has none).
SHUFFLE = "drummer8/session1/20_rock-shuffle_112_beat_4-4.mid"


def screenshot(url: str, target: Path, width: int, height: int) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("chromium is needed (make system-deps installs it)")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--window-size={width},{height}", f"--screenshot={target}", url],
                   check=True, capture_output=True, timeout=120)  # fmt: skip


def score_picture(musicxml: Path, target: Path, work: Path, height: int = 380) -> None:
    """The first systems of the score as MuseScore 3 engraves it (``mscore3 -o``: the
    client a drummer opens it in), cropped to ``height`` pixels of content."""
    import numpy as np
    from PIL import Image

    mscore = shutil.which("mscore3") or shutil.which("musescore3")
    if mscore is None:
        raise SystemExit("MuseScore 3 is needed (make system-deps installs it)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(work)}
    png = work / f"{musicxml.stem}.png"
    subprocess.run([mscore, "-r", "110", "-o", str(png), str(musicxml)], check=True,
                   capture_output=True, timeout=300, env=env)  # fmt: skip
    drawn = Image.open(work / f"{musicxml.stem}-1.png").convert("RGBA")  # transparent
    page = Image.alpha_composite(Image.new("RGBA", drawn.size, "white"), drawn).convert("L")
    ink = np.flatnonzero((np.asarray(page) < 200).any(axis=1))
    cols = np.flatnonzero((np.asarray(page) < 200).any(axis=0))
    top, left, right = max(0, ink[0] - 20), max(0, cols[0] - 20), cols[-1] + 20
    page.crop((left, top, right, min(page.height, top + height))).save(target)


def shuffle_picture(target: Path, work: Path) -> str:
    """A shuffle from the Groove MIDI Dataset (rendered through a shipped kit),
    transcribed and written with ``--quantize auto``, engraved as :func:`score_picture`."""
    from drummernet.datasets.midi import read_drum_midi
    from drummernet.datasets.render import render_hits
    from drummernet.kits.library import get_kit

    if not (GMD / SHUFFLE).is_file():
        raise SystemExit(f"the shuffle picture needs {GMD / SHUFFLE}")
    hits = [h for h in read_drum_midi(GMD / SHUFFLE) if h.time < 14.0]
    audio, _, _ = render_hits(hits, get_kit("fluidr3-standard"), tail_s=0.5)
    result = transcribe(audio, sr=16000, check_mix=False)
    result.source = "rock shuffle, 112 bpm (Groove MIDI Dataset)"
    xml = work / "shuffle.musicxml"
    write_outputs(result, {"musicxml": xml}, OutputOptions(quantize="auto"), None)
    score_picture(xml, target, work)
    return f"shuffle tempo {result.tempo:.1f} bpm"


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
        shuffle = shuffle_picture(out / "shuffle.png", work)
        screenshot(paths["html"].as_uri(), out / "page.png", 1280, 900)
        midi_picture(paths["mid"], out / "midi-grid.png")
    print(f"tempo {result.tempo:.2f} bpm; {shuffle}; pictures in {out}")


if __name__ == "__main__":
    main()
