"""Exceptions raised by drummernet.

Library code never prints or exits: it raises one of these with a message that
names the offending file or value, and the command-line layer turns it into a
single line on stderr and a non-zero exit status.
"""

from __future__ import annotations


class DrummerNetError(Exception):
    """Base class of every error that drummernet reports to a user."""


class ConfigError(DrummerNetError, ValueError):
    """An invalid configuration value, preset name or configuration file."""


class ModelFileError(DrummerNetError):
    """A model file that is missing, unreadable, or from an incompatible version."""


class KitError(DrummerNetError, ValueError):
    """A drum kit that cannot be used by the synthesizer."""
