"""The campusgate exception tree: every error the project raises on purpose.

    CampusgateError
    ├── ConfigError          settings, key files, command-line values
    │   └── PolicyInvalid    (services.policy.editor) a policy or level form, field by field
    ├── CodeError            a signed code that must not be honoured
    │   ├── InvalidCode      bad format, bad signature, unknown key
    │   ├── ExpiredCode      past ``exp``
    │   └── NotYetValidCode  before ``iat`` (beyond the allowed clock skew)
    ├── RosterError          a roster file that cannot be read at all
    │   ├── RosterTooLarge   (services.roster.xlsx_limits) beyond what is read, refused unread
    │   ├── PhotoInvalid     (services.roster.photos) not a JPEG/PNG, damaged, too large, bad ZIP
    │   └── PersonInvalid    (services.roster.person) one person's values the roster refuses
    ├── NotFound             a person, appointment, pass or event that does not exist
    │   └── CaseNotFound     (services.cases.service) no such isolation case
    ├── Refused              an administrative action the rules do not allow
    │   └── SyncRefused      (services.roster.importer) --sync would deactivate too many
    │   └── TooManyRequests  (services.visitors.requests) a public page's rate limit
    │   └── CaseRefused      (services.cases.lifecycle) a case action its rules do not allow
    │   └── PolicyStale      (services.policy.service) saved against a version since replaced
    │   └── LevelOverrides   (services.policy.service) a level would replace hand-set values
    ├── StorageError         the database refused or failed
    ├── BusError             the MQTT broker refused or failed (with its reason code)
    ├── WebError             (services.web.errors) what a page or API call cannot do
    │   ├── NotAuthenticated (services.web.errors) no session, or it expired
    │   ├── Forbidden        (services.web.errors) the role or gate binding says no
    │   │   └── OtherUnit    (services.web.errors) a person or unit not of one's own units
    │   ├── NotFound         (services.web.errors) a case, user or gate asked for
    │   ├── Conflict         (services.web.errors) the case is closed, already acknowledged
    │   ├── InvalidInput     (services.web.errors) a value the domain refuses
    │   ├── RateLimited      (services.web.errors) too many failed logins
    │   └── Unavailable      (services.web.errors) the broker is not connected
    ├── OutboxError          (gateway.outbox.store) the gate cannot keep a passage
    ├── ReaderError          (devices.code_reader.contract) a code reader cannot be set up
    │   ├── SourceError      (devices.code_reader.camera.sources) a frame source failed
    │   ├── SourceEnded      (devices.code_reader.camera.sources) a finite source ran out
    │   ├── PortError        (devices.code_reader.scanner.reader) a scanner's port failed
    │   └── InputEnded       (devices.code_reader.scanner.reader) a scanner's stream closed
    └── RelayError           (devices.relay.turnstile) a turnstile set up wrongly

A class defined outside this module names its module in brackets.  Each is
answered over HTTP as ``services/web/api/errors.py`` says (one table), and
``tests/architecture/test_exception_tree.py`` checks this drawing against the
classes.  Library errors are converted at the boundary with ``raise ... from exc``.
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
