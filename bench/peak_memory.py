"""Benchmark: peak memory of the ``drummernet transcribe`` command on an hour of audio.

The shipped example loop, resampled to 44.1 kHz and tiled to ``--minutes`` of
stereo 16-bit FLAC, is transcribed by the command line as a user runs it, under
GNU ``time -v`` (its "Maximum resident set size"), once per output format list.
Writes ``bench/results/peak_memory/peak_memory-<date>.json``.

    python bench/peak_memory.py [--minutes 60] [--formats mid csv] [--model M.pt]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def long_flac(path: Path, minutes: float) -> None:
    """The example loop at 44.1 kHz, tiled to ``minutes``, as stereo 16-bit FLAC."""
    import numpy as np
    import soundfile as sf

    from drummernet.audio import load_audio, resample

    loop = resample(load_audio(EXAMPLE, 16000), 16000, 44100)
    n = int(minutes * 60 * 44100)
    mono = np.tile(loop, n // len(loop) + 1)[:n]
    sf.write(str(path), np.stack([mono, 0.9 * mono], axis=1), 44100, subtype="PCM_16")


def peak_rss(command: list[str]) -> dict:
    """Wall time (s) and peak resident memory (MiB) of ``command`` under GNU time."""
    out = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"peak_memory: {' '.join(command)} failed: {out.stderr[-500:]}")
    kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", out.stderr)
    seconds = sum(float(x) * 60**i for i, x in enumerate(reversed(clock.group(1).split(":"))))
    return {"peak_mib": round(kib / 1024, 1), "peak_mb": round(kib * 1024 / 1e6, 1),
            "wall_s": round(seconds, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument(
        "--formats", nargs="+", default=["mid", "csv"], help="one run each (default: mid csv)"
    )
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    if shutil.which("/usr/bin/time") is None:
        raise SystemExit("peak_memory: needs GNU time (Debian: apt-get install time)")
    drummernet = str(Path(sys.executable).with_name("drummernet"))
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / f"song{args.minutes:g}.flac"
        long_flac(audio, args.minutes)
        for fmt in args.formats:
            command = [drummernet, "transcribe", str(audio), "--format", fmt, "--out-dir", tmp,
                       "--overwrite", "-q"]  # fmt: skip
            if args.model:
                command += ["--model", args.model]
            runs[fmt] = peak_rss(command)
            print(f"--format {fmt}: {runs[fmt]}", flush=True)
    path = dated_path(args.out, "peak_memory")
    record = {"minutes": args.minutes, "input": "example loop, 44.1 kHz stereo FLAC",
              "model": args.model or "default", "runs": runs}  # fmt: skip
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
