"""Drum kits: sets of one-shot samples, one per drum component.

:mod:`~drummernet.kits.library` reads kit folders (``kit.json`` + samples) and
finds installed kits; :mod:`~drummernet.kits.builders` makes kit folders from
Hydrogen drumkits, SoundFont presets and folders of samples;
:mod:`~drummernet.kits.synthetic` synthesises a kit from nothing.
"""

from drummernet.kits.library import Kit, get_kit, kit_one_shots, list_kits, load_kit
from drummernet.kits.synthetic import synthetic_kit

__all__ = ["Kit", "get_kit", "kit_one_shots", "list_kits", "load_kit", "synthetic_kit"]
