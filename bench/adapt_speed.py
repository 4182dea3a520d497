"""Benchmark: wall time and peak memory of ``drummernet adapt`` on 10 minutes of audio.

The first one-minute excerpts of a rendered set's tracks (tracks of at least 60 s,
in the set's order) until ``--minutes`` are reached, adapted on by the command line
as a user would run it (the shipped model, default options), in one process with
``--threads`` threads. Writes ``bench/results/adapt_speed/adapt_speed-<date>.json``.

    OMP_WAIT_POLICY=PASSIVE python bench/adapt_speed.py data/render/gmd-test [--minutes 10]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

ROOT = Path(__file__).resolve().parents[1]


def excerpts(root: Path, minutes: float, folder: Path, excerpt_s: float = 60.0) -> float:
    """Write ``excerpt_s`` excerpts into ``folder`` until ``minutes``; their total (s)."""
    from drummernet.audio import load_audio, write_audio

    total = 0.0
    for track in json.loads((root / "render.json").read_text())["tracks"]:
        if total >= minutes * 60:
            break
        if track["seconds"] >= excerpt_s:
            audio = load_audio(root / track["audio"], 16000)[: round(excerpt_s * 16000)]
            write_audio(folder / f"{track['name']}.flac", audio, 16000)
            total += len(audio) / 16000
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rendered", help="a rendered set (render.json)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--excerpt", type=float, default=60.0, help="seconds per track")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="results folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        audio = Path(work) / "audio"
        audio.mkdir()
        seconds = excerpts(Path(args.rendered), args.minutes, audio, args.excerpt)
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        command = [sys.executable, "-m", "drummernet.cli", "adapt", str(audio), "--quiet",
                   "--out", str(Path(work) / "adapted.pt")]  # fmt: skip
        began = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - began
    if done.returncode:
        raise SystemExit(done.stderr.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"date": datetime.date.today().isoformat(), "audio_minutes": round(seconds / 60, 2),
              "threads": args.threads, "wall_seconds": round(wall, 1),
              "peak_rss_mb": round(peak_mb), "cpu": os.cpu_count(),
              "output": done.stdout.strip()}  # fmt: skip
    path = dated_path(args.out, "adapt_speed")
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
