"""Check our NMFD against libnmfd's on the same input (libnmfd in its own environment).

libnmfd pins numpy<2 and pulls in jupyter, so it cannot live beside our dependencies;
install it into a separate virtual environment and point ``--libnmfd-python`` at it:

    python3 -m venv /tmp/nmfdenv && /tmp/nmfdenv/bin/pip install libnmfd
    python bench/check_nmfd.py --libnmfd-python /tmp/nmfdenv/bin/python

Both factorise the spectrogram of the shipped example loop from the same templates
(the synthesizer's kits) and the same initial activations; the script prints and
writes (``bench/results/check_nmfd/check_nmfd-<date>.json``) the largest relative difference
of the activations and whether the picked onsets agree.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from results_file import dated_path  # bench/results_file.py (run as bench/SCRIPT.py)

from drummernet.audio import load_audio
from drummernet.nmfd import class_templates, nmfd, spectrogram
from drummernet.transcription.peaks import normalise, pick_peaks

EXAMPLE = Path(__file__).resolve().parents[1] / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
LIBNMFD = """
import sys, numpy as np
from libnmfd.core.nmfconv import nmfd
d = np.load(sys.argv[1])
W = d["templates"]
_, H, _, _, _ = nmfd(d["spec"], num_comp=W.shape[1], num_iter=int(d["iterations"]),
                     num_template_frames=W.shape[2], init_W=[W[:, r, :] for r in range(W.shape[1])],
                     init_H=np.ones((W.shape[1], d["spec"].shape[1])))
np.save(sys.argv[2], H)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--libnmfd-python", required=True, help="python that has libnmfd")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    spec = spectrogram(load_audio(EXAMPLE)[: int(args.seconds * 16000)]).astype(np.float64)
    templates = class_templates()
    _, ours = nmfd(spec, templates, args.iterations, dtype=np.float64)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "in.npz", spec=spec, templates=templates, iterations=args.iterations)
        script = Path(tmp) / "run.py"
        script.write_text(LIBNMFD)
        subprocess.run([args.libnmfd_python, str(script), str(Path(tmp) / "in.npz"),
                        str(Path(tmp) / "h.npy")], check=True, capture_output=True)  # fmt: skip
        theirs = np.load(Path(tmp) / "h.npy")
    rel = float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))
    rate = 16000 / 256
    same = [
        np.array_equal(pick_peaks(normalise(a), rate, 0.15), pick_peaks(normalise(b), rate, 0.15))
        for a, b in zip(ours, theirs, strict=True)
    ]
    record = {
        "benchmark": "check_nmfd",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "input": f"{EXAMPLE.name}, first {args.seconds:g} s",
        "iterations": args.iterations,
        "max_relative_difference_of_activations": rel,
        "same_onsets_per_component": same,
    }
    print(json.dumps(record, indent=1))
    path = dated_path(args.out, "check_nmfd")
    path.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
