"""Run every shell block of the README as pasted, in order, with smaller sizes.

    python scripts/readme_commands.py [--keep DIR] [--list]

The blocks run as one bash script (``set -e``: the first failing line stops it, and
its status is this script's) in a scratch folder that stands for a fresh clone after
``make demo``: it links the repository's files and its ``.venv``, and ``../shared``
beside it is the repository's ``../shared``. Nothing is written into the repository.
The set-up block (``make demo`` / ``make test``) is not run again. Only the sizes
change, each by a rule of :data:`SMALLER` (training steps, tracks rendered, seconds
scored), so that the whole README runs in a few minutes; every rule must apply, so a
README edit that drops a size fails here instead of running for hours.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (pattern, replacement): the README's sizes, made small. Each must match.
SMALLER = [
    (r"--max-minutes 10", "--steps 2 --batch-size 2 --validate-every 1"),
    (r"--resume --steps 20000", "--resume --steps 3"),
    (r"--limit 20", "--limit 2"),
    (r"--limit 4", "--limit 1"),
    (r"--clips 240", "--clips 2 --seconds 4"),
    (r"--baseline nmfd", "--baseline nmfd --max-seconds 8"),
    (r"adapt my_album/ --out mine.pt", "adapt my_album/ --out mine.pt --steps 2"),
    (r"(scripts/train_default\.sh \S+ \S+ \S+) 60", r"RENDER_LIMIT=1 \1 0.05 2"),
]

#: What the scratch folder links from the repository (read-only use).
LINKED = ("drummernet", "scripts", "bench", "tests", ".venv", "README.md", "Makefile",
          "pyproject.toml", "NOTICE", "LICENSE")  # fmt: skip


def shell_blocks(readme: str) -> list[str]:
    """The ``sh`` blocks of ``readme`` to run: all but the set-up one (``make demo``)."""
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    return [b for b in blocks if not re.search(r"^make (demo|test)\b", b, flags=re.M)]


def smaller(script: str) -> str:
    """``script`` with every rule of :data:`SMALLER` applied (each must match)."""
    for pattern, replacement in SMALLER:
        script, n = re.subn(pattern, replacement, script)
        if not n:
            raise SystemExit(f"readme_commands: the README no longer has {pattern!r}")
    return script


def readme_script(readme: str | None = None) -> str:
    """The README's blocks to run (:func:`shell_blocks`), made small (:func:`smaller`)."""
    text = readme if readme is not None else (ROOT / "README.md").read_text()
    return smaller("\n".join(shell_blocks(text)))


def scratch_clone(folder: Path) -> Path:
    """A folder standing for a fresh clone after ``make demo``: ``folder/clone``,
    linked to the repository, with ``folder/shared`` linked to ``../shared``."""
    clone = folder / "clone"
    clone.mkdir(parents=True)
    for name in LINKED:
        if (ROOT / name).exists():
            (clone / name).symlink_to(ROOT / name)
    shared = ROOT.parent / "shared"
    if shared.exists():
        (folder / "shared").symlink_to(shared)
    return clone


def run(keep: Path | None = None) -> int:
    """Run the README's blocks; the exit status of the first failing line, else 0."""
    script = readme_script()
    with tempfile.TemporaryDirectory(prefix="readme-") as tmp:
        clone = scratch_clone(keep or Path(tmp))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DRUMMERNET_", "VIRTUAL"))}
        env |= {"HOME": str(clone.parent / "home"), "XDG_DATA_HOME": str(clone.parent / "xdg"),
                "OMP_WAIT_POLICY": "PASSIVE", "PS4": "\n$ "}  # fmt: skip
        done = subprocess.run(["bash", "-euo", "pipefail", "-x", "-c", script], cwd=clone, env=env)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="scratch folder to keep (must not exist)")
    parser.add_argument("--list", action="store_true", help="print the script, do not run it")
    args = parser.parse_args(argv)
    if args.list:
        print(readme_script())
        return 0
    return run(args.keep)


if __name__ == "__main__":
    sys.exit(main())
