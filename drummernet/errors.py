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


class OutputError(DrummerNetError):
    """A file that cannot be written (missing folder, no permission, disk full ...)."""


class ModelFileError(DrummerNetError):
    """A model file that is missing, unreadable, or from an incompatible version."""


class KitError(DrummerNetError, ValueError):
    """A drum kit that cannot be used by the synthesizer."""


class DrummerNetWarning(UserWarning):
    """Something a user should know that does not stop the work (e.g. a full mix
    given where drums alone are expected); the command line prints it as one line."""
