"""Benchmark: time of one training step (network + synthesizer + loss, forward and
backward) for each configuration preset, and its parts, on this machine.

Each preset runs in its own process so that its peak memory is its own. Writes
``bench/results/train_step/train_step-<date>.json`` and prints a table; timings are
medians over ``--repeats`` steps after one warm-up step. Compare presets by the
ratio to ``paper`` measured in the same run: absolute times on a shared
machine are noisy.

    OMP_WAIT_POLICY=PASSIVE python bench/train_step.py [--batch 16] [--repeats 3] \
        [--objective reconstruction|inverse]

``--objective inverse`` times the warm start's step (the shipped recipe): the network's
frame scores against the onsets the audio was rendered from, binary cross-entropy; no
synthesizer and no spectral loss in the step (the audio is rendered by data workers
beside it, not timed here).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)


def measure(preset: str, batch: int, seconds: float, repeats: int, objective: str) -> dict:
    import torch
    import torch.nn.functional as F

    from drummernet.config import get_preset
    from drummernet.kits import synthetic_kit
    from drummernet.losses import OnsetSpectrumLoss
    from drummernet.model import AnalysisNetwork
    from drummernet.synth import Synthesizer, prepare_kernels
    from drummernet.training.step import inverse_loss, optimise, widen_targets

    torch.manual_seed(0)
    config = get_preset(preset)
    network = AnalysisNetwork(config)
    synth = Synthesizer(prepare_kernels(list(synthetic_kit().values()), config))
    loss_fn = OnsetSpectrumLoss(config)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    n = int(seconds * config.sample_rate)
    pattern = torch.rand(batch, config.n_components, n) * (torch.rand(batch, 11, n) > 0.9995)
    audio = synth(pattern)
    audio = audio / audio.abs().amax(dim=-1, keepdim=True)

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    frames = n // config.upsample_factor
    hits = pattern[..., : frames * config.upsample_factor] > 0
    target = hits.reshape(batch, config.n_components, frames, -1).any(-1).float()

    def step() -> None:
        if objective == "inverse":
            optimise(optimizer, inverse_loss(network, audio, target))
        else:
            optimise(optimizer, loss_fn(synth(network(audio)), audio))

    def network_only() -> None:
        network.zero_grad()
        network(audio, scores=objective == "inverse").sum().backward()

    def loss_only() -> None:
        if objective == "inverse":
            scores = torch.randn(batch, config.n_components, frames, requires_grad=True)
            F.binary_cross_entropy_with_logits(scores, widen_targets(target)).backward()
        else:
            estimate = audio.clone().requires_grad_(True)
            loss_fn(estimate, audio).backward()

    results = {}
    for name, fn in (
        ("step", step),
        ("network_fwd_bwd", network_only),
        ("loss_fwd_bwd", loss_only),
    ):
        timed(fn)  # warm-up
        results[name + "_s"] = statistics.median(timed(fn) for _ in range(repeats))
    results["segments_per_s"] = batch / results["step_s"]
    results["segments_per_hour"] = round(3600 * results["segments_per_s"])
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="*", default=None, help="default: all presets")
    parser.add_argument(
        "--batch", type=int, default=16, help="segments per step (16: the paper's batch)"
    )
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--objective", choices=["reconstruction", "inverse"],
                        default="reconstruction")  # fmt: skip
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.batch, args.seconds, args.repeats, args.objective)))
        return

    import torch

    from drummernet.config import PRESETS

    presets = args.presets or list(PRESETS)
    rows = {}
    for preset in presets:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                preset,
                "--batch",
                str(args.batch),
                "--seconds",
                str(args.seconds),
                "--repeats",
                str(args.repeats),
                "--objective",
                args.objective,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows[preset] = json.loads(out.strip().splitlines()[-1])
        r = rows[preset]
        print(
            f"{preset:<15} step {r['step_s']:6.2f} s  network {r['network_fwd_bwd_s']:6.2f} s  "
            f"loss {r['loss_fwd_bwd_s']:6.2f} s  {r['segments_per_s']:5.2f} seg/s "
            f"({r['segments_per_hour']:,}/h)  "
            f"peak {r['peak_rss_mib']:6.0f} MiB",
            flush=True,
        )
    if "paper" in rows:
        for r in rows.values():
            r["speed_vs_paper"] = rows["paper"]["step_s"] / r["step_s"]
    record = {
        "benchmark": "train_step",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "settings": {
            "batch": args.batch,
            "seconds": args.seconds,
            "repeats": args.repeats,
            "objective": args.objective,
        },
        "presets": rows,
    }
    path = dated_path(args.out, "train_step")
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
