"""Benchmark: transcription speed (real-time factor) and peak memory, DrummerNet vs NMFD.

The input is the shipped example loop tiled to each length and written as FLAC.
Every (system, length) runs in its own process, which reads the file, transcribes
it and reports wall time and peak resident memory (before transcribing too, so
that the growth with the length of the input shows). Writes
``bench/results/transcribe_speed-<date>.json``. Compare systems by ratios measured
in the same run.

    OMP_WAIT_POLICY=PASSIVE python bench/transcribe_speed.py [--minutes 1 60]
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"


def rss_mib() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss it is not
    inherited from the parent that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(system: str, path: str, model: str | None) -> dict:
    import soundfile as sf

    from drummernet.audio import load_audio

    seconds = sf.info(path).duration
    if system.startswith("drummernet"):  # drummernet-nocheck: without the full-mix check
        from drummernet.transcription import get_model, transcribe

        net = get_model(model)
        before = rss_mib()
        start = time.perf_counter()
        result = transcribe(path, model=net, check_mix=system == "drummernet")
        onsets = len(result.events)
    else:
        from drummernet.evaluation.nmfd import nmfd_transcriber

        run = nmfd_transcriber()
        before = rss_mib()
        start = time.perf_counter()
        onsets = sum(len(v) for v in run(load_audio(path)).values())
    wall = time.perf_counter() - start
    return {
        "audio_s": round(seconds, 2),
        "wall_s": round(wall, 2),
        "real_time_factor": round(wall / seconds, 4),
        "rss_before_mib": round(before),
        "peak_rss_mib": round(rss_mib()),
        "onsets": onsets,
    }


def make_input(minutes: float, folder: Path) -> Path:
    import numpy as np

    from drummernet.audio import load_audio, write_audio

    loop = load_audio(EXAMPLE)
    n = int(minutes * 60 * 16000)
    audio = np.tile(loop, -(-n // len(loop)))[:n]
    path = folder / f"loop-{minutes:g}min.flac"
    write_audio(path, audio, 16000)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 60.0])
    parser.add_argument("--systems", nargs="+", default=["drummernet", "nmfd"],
                        help="drummernet, drummernet-nocheck (no mix check), nmfd")  # fmt: skip
    parser.add_argument("--model", help="model file (default: the shipped model)")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.one[1], args.model)))
        return
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            path = make_input(minutes, Path(tmp))
            for system in args.systems:
                cmd = [sys.executable, __file__, "--one", system, str(path)]
                if args.model:
                    cmd += ["--model", args.model]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                rows[f"{system}@{minutes:g}min"] = r
                print(
                    f"{system:<18} {minutes:5g} min  {r['wall_s']:8.1f} s  RTF "
                    f"{r['real_time_factor']:.4f}  RSS {r['rss_before_mib']} -> "
                    f"{r['peak_rss_mib']} MiB",
                    flush=True,
                )
    for minutes in args.minutes:
        ours, theirs = rows.get(f"drummernet@{minutes:g}min"), rows.get(f"nmfd@{minutes:g}min")
        if ours and theirs:
            ours["speed_vs_nmfd"] = round(theirs["wall_s"] / ours["wall_s"], 2)
    record = {
        "benchmark": "transcribe_speed",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "model": args.model or "default",
        "runs": rows,
    }
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"transcribe_speed-{datetime.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
