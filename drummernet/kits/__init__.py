"""Drum kits: sets of one-shot samples, one per drum component.

:mod:`~drummernet.kits.library` reads kit folders (``kit.json`` + samples) and
finds installed kits; :mod:`~drummernet.kits.builders` makes kit folders from
Hydrogen drumkits, SoundFont presets and folders of samples;
:mod:`~drummernet.kits.synthetic` synthesises a kit from nothing.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "library": ["Kit", "get_kit", "kit_one_shots", "list_kits", "load_kit"],
        "synthetic": ["synthetic_kit"],
    },
)
