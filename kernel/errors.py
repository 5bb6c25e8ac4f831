"""The campusgate exception tree.

    CampusgateError
    ├── ConfigError          settings, key files, command-line values
    ├── CodeError            a signed code that must not be honoured
    │   ├── InvalidCode      bad format, bad signature, unknown key
    │   ├── ExpiredCode      past ``exp``
    │   └── NotYetValidCode  before ``iat`` (beyond the allowed clock skew)
    ├── RosterError          a roster file that cannot be read at all
    ├── NotFound             a person, appointment, pass or event that does not exist
    ├── Refused              an administrative action the rules do not allow
    ├── StorageError         the database refused or failed
    └── BusError             the MQTT broker refused or failed

Library errors are converted at the boundary with ``raise ... from exc``.
This module imports nothing so every layer (the gate included) can use it.
"""


class CampusgateError(Exception):
    """Base of every error campusgate raises on purpose."""


class ConfigError(CampusgateError):
    """A setting, key file or command-line value is unusable."""


class CodeError(CampusgateError):
    """A signed code must not be honoured; ``reason`` is the decision reason."""

    reason = "invalid_code"


class InvalidCode(CodeError):
    """Bad format, bad signature, or a key id this site does not know."""

    reason = "invalid_code"


class ExpiredCode(CodeError):
    """The code's ``exp`` is in the past."""

    reason = "expired_code"


class NotYetValidCode(CodeError):
    """The code's ``iat`` is in the future beyond the allowed skew."""

    reason = "invalid_code"


class RosterError(CampusgateError):
    """A roster file that cannot be read at all (rows are reported one by one)."""


class NotFound(CampusgateError):
    """A person, appointment, pass, policy version or event that does not exist."""


class Refused(CampusgateError):
    """An administrative action the rules do not allow (who may approve, quotas, states)."""


class StorageError(CampusgateError):
    """The database refused or failed."""


class BusError(CampusgateError):
    """The MQTT broker refused or failed."""
