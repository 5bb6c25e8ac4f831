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
    └── BusError             the MQTT broker refused or failed (with its reason code)

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
    """The MQTT broker refused or failed.

    ``reason_code`` is the MQTT 5 reason code the broker answered with (0x80 and
    above for a refusal: 0x87 Not authorized, 0x85 Client identifier not valid,
    ...), or paho's error number (below 0x80) when the client failed before the
    broker answered; ``reason_name`` names it.  Both are None when no answer came
    (broker unreachable, no CONNACK in time, TLS handshake failed).
    """

    def __init__(
        self, message: str, *, reason_code: int | None = None, reason_name: str | None = None
    ) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.reason_name = reason_name
