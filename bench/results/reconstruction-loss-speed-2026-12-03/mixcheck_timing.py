"""Time the full-mix check alone (best of 5, one process) on the example loop tiled to 2 min.

Run from a checkout's root, with that checkout's package first on the path:
``PYTHONPATH=. python bench/results/reconstruction-loss-speed-2026-12-03/mixcheck_timing.py``.
2026-12-03: 0.063 s on this change's code, 0.284 s on 7fe5bbd (a worktree), the same value.
"""

import time

import numpy as np

from drummernet.audio import load_audio
from drummernet.mixcheck import harmonic_to_percussive_db

audio = np.tile(load_audio("drummernet/examples/gmd-rock-100bpm.flac", 16000), 6)
harmonic_to_percussive_db(audio)  # warm-up: imports
times = []
for _ in range(5):
    start = time.perf_counter()
    value = harmonic_to_percussive_db(audio)
    times.append(time.perf_counter() - start)
print(f"full-mix check of {len(audio) / 16000:.0f} s: {min(times):.3f} s (value {value:.6f} dB)")
