"""Drum kits: sets of one-shot samples, one per drum component."""

from drummernet.kits.synthetic import synthetic_kit

__all__ = ["synthetic_kit"]
