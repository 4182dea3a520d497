"""The drum vocabulary: the 11 components of the paper and the classes they map to.

A *component* is one kit piece the synthesizer has a one-shot sample for
(``KD_KD``, ``HH_CHH``, ...); its name is ``CLASS_SUBCLASS``. A *class* is the
coarser label used for scoring (KD, SD, HH in the paper; TT, CY, OT otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping

#: The 11 components, in the order of the network's output channels.
COMPONENTS: tuple[str, ...] = (
    "KD_KD",  # kick drum
    "SD_SD",  # snare drum
    "HH_CHH",  # closed hi-hat
    "HH_OHH",  # open hi-hat
    "HH_PHH",  # pedal hi-hat
    "TT_HIT",  # high tom
    "TT_MHT",  # mid (high-mid) tom
    "TT_HFT",  # high floor tom
    "CY_RDC",  # ride cymbal
    "CY_CRC",  # crash cymbal
    "OT_TMB",  # tambourine
)

#: Human-readable names of the components.
COMPONENT_NAMES: dict[str, str] = {
    "KD_KD": "kick drum",
    "SD_SD": "snare drum",
    "HH_CHH": "closed hi-hat",
    "HH_OHH": "open hi-hat",
    "HH_PHH": "pedal hi-hat",
    "TT_HIT": "high tom",
    "TT_MHT": "mid tom",
    "TT_HFT": "floor tom",
    "CY_RDC": "ride cymbal",
    "CY_CRC": "crash cymbal",
    "OT_TMB": "tambourine",
}

#: General MIDI percussion key of each component (channel 10).
GM_NOTES: dict[str, int] = {
    "KD_KD": 36,
    "SD_SD": 38,
    "HH_CHH": 42,
    "HH_OHH": 46,
    "HH_PHH": 44,
    "TT_HIT": 50,
    "TT_MHT": 47,
    "TT_HFT": 43,
    "CY_RDC": 51,
    "CY_CRC": 49,
    "OT_TMB": 54,
}

#: The paper's scored classes and the components that make each of them.
PAPER_CLASSES: dict[str, tuple[str, ...]] = {
    "KD": ("KD_KD",),
    "SD": ("SD_SD",),
    "HH": ("HH_CHH", "HH_OHH"),
}


def component_class(component: str) -> str:
    """Return the class (``"KD"``, ``"HH"``, ...) of a component name."""
    if component not in COMPONENT_NAMES:
        raise ValueError(f"unknown drum component {component!r}; known: {', '.join(COMPONENTS)}")
    return component.split("_", 1)[0]


#: Every component's own class: the paper's three plus toms, cymbals, tambourine.
ALL_CLASSES: dict[str, tuple[str, ...]] = {
    "KD": ("KD_KD",),
    "SD": ("SD_SD",),
    "HH": ("HH_CHH", "HH_OHH", "HH_PHH"),
    "TT": ("TT_HIT", "TT_MHT", "TT_HFT"),
    "CY": ("CY_RDC", "CY_CRC"),
    "OT": ("OT_TMB",),
}
#: Named class mappings for ``--classes``.
CLASS_SETS: dict[str, Mapping[str, tuple[str, ...]]] = {
    "paper": PAPER_CLASSES,
    "all": ALL_CLASSES,
    "components": {c: (c,) for c in COMPONENTS},
}
