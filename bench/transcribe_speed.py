"""Benchmark: transcription speed (real-time factor) and peak memory, DrummerNet vs NMFD.

The input is the shipped example loop tiled to each length and written as FLAC.
Every (system, length) runs in its own process, which reads the file, transcribes
it and reports wall time and peak resident memory (before transcribing too, so
that the growth with the length of the input shows). Writes
``bench/results/transcribe_speed/transcribe_speed-<date>.json``. Compare systems by ratios measured
in the same run.

    OMP_WAIT_POLICY=PASSIVE python bench/transcribe_speed.py [--minutes 2 60] [--threads 1]

``wall_s`` is the transcription alone; ``process_s`` the whole process as a user
waits for it (interpreter start, imports, model load, decoding, transcription).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

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
    if system.startswith(("drummernet", "lite")):  # drummernet-nocheck: no full-mix check
        from drummernet.transcription import get_model, transcribe

        net = get_model(model if system != "lite" else lite_model(model))
        before = rss_mib()
        start = time.perf_counter()
        result = transcribe(path, model=net, check_mix=system != "drummernet-nocheck")
        onsets = len(result.events)
    else:
        from drummernet.nmfd import nmfd_transcriber

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


def lite_model(model: str | None) -> object:
    """The ``lite`` model given, or an untrained one (speed does not depend on weights)."""
    if model:
        return model
    from drummernet.config import get_preset
    from drummernet.model import AnalysisNetwork

    return AnalysisNetwork(get_preset("lite"))


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
    parser.add_argument("--minutes", type=float, nargs="+", default=[2.0, 60.0])
    parser.add_argument(
        "--systems",
        nargs="+",
        default=["drummernet", "lite", "nmfd"],
        help="drummernet, drummernet-nocheck (no mix check), lite, nmfd",
    )
    parser.add_argument("--model", help="model file of drummernet (default: the shipped model)")
    parser.add_argument("--lite-model", help="model file of lite (default: untrained)")
    parser.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads (1)")
    parser.add_argument("--long-systems", nargs="+", default=["lite", "nmfd"],
                        help="systems also run on inputs over 10 minutes (the shipped "
                        "model takes ~20 minutes for an hour)")  # fmt: skip
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.one:
        import torch

        torch.set_num_threads(args.threads)
        model = args.lite_model if args.one[0] == "lite" else args.model
        print(json.dumps(measure(args.one[0], args.one[1], model)))
        return
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for minutes in args.minutes:
            path = make_input(minutes, Path(tmp))
            for system in args.systems:
                if minutes > 10 and system not in args.long_systems:
                    continue
                cmd = [sys.executable, __file__, "--one", system, str(path),
                       "--threads", str(args.threads)]  # fmt: skip
                for flag, value in (("--model", args.model), ("--lite-model", args.lite_model)):
                    cmd += [flag, value] if value else []
                threads = str(args.threads)
                env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
                start = time.perf_counter()
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                # the whole process: interpreter, imports, model, decoding, transcription
                r["process_s"] = round(time.perf_counter() - start, 2)
                r["process_speed_x_real_time"] = round(r["audio_s"] / r["process_s"], 1)
                rows[f"{system}@{minutes:g}min"] = r
                print(
                    f"{system:<18} {minutes:5g} min  {r['wall_s']:8.1f} s  RTF "
                    f"{r['real_time_factor']:.4f}  process {r['process_s']:.1f} s "
                    f"({r['process_speed_x_real_time']}x real time)  RSS "
                    f"{r['rss_before_mib']} -> {r['peak_rss_mib']} MiB",
                    flush=True,
                )
    for minutes in args.minutes:
        theirs = rows.get(f"nmfd@{minutes:g}min")
        for system in args.systems:
            ours = rows.get(f"{system}@{minutes:g}min")
            if ours and theirs and system != "nmfd":
                ours["speed_vs_nmfd"] = round(theirs["process_s"] / ours["process_s"], 2)
    record = {
        "benchmark": "transcribe_speed",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "model": args.model or "default",
        "lite_model": args.lite_model or "untrained lite preset",
        "threads": args.threads,
        "runs": rows,
    }
    path = dated_path(args.out, "transcribe_speed")
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
