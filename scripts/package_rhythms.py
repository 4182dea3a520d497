"""Copy the drum rhythms ``drummernet adapt`` plays its fitted kit with into the package.

Every 7th performance of the Groove MIDI Dataset's train split (129 files, about
280 kB), spread over its 10 drummers and their styles; never a validation or test
file. CC BY 4.0, credited in NOTICE.

    python scripts/package_rhythms.py ../shared/data/groove-midi
"""

from __future__ import annotations

import shutil
import sys

from drummernet.datasets.render import midi_files
from drummernet.datasets.synthesized import RHYTHMS

EVERY = 7


def main(gmd_root: str) -> None:
    chosen = midi_files([gmd_root], "train")[::EVERY]
    if RHYTHMS.exists():
        shutil.rmtree(RHYTHMS)
    RHYTHMS.mkdir(parents=True)
    for path, name in chosen:
        shutil.copyfile(path, RHYTHMS / f"{name}.mid")
    print(f"copied {len(chosen)} performances into {RHYTHMS}")


if __name__ == "__main__":
    main(sys.argv[1])
