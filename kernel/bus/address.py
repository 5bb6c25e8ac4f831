"""Where the broker is: ``mqtt://`` and ``mqtts://`` URLs parsed into a :class:`BrokerAddress`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from kernel.errors import ConfigError
from kernel.redact import redact_url

DEFAULT_PORT = 1883
DEFAULT_TLS_PORT = 8883
CA_FILE_PARAM = "cafile"


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None
    # A CA bundle to verify the broker's certificate with (a private campus CA);
    # None: the system's trust store.
    ca_file: str | None = None

    def __str__(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://[user:pass@]host[:port]`` or ``mqtts://...[?cafile=/path/ca.pem]`` (TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ConfigError(
            f"broker URL must start with mqtt:// or mqtts://, got {redact_url(url)!r}"
        )
    tls = parts.scheme in ("mqtts", "ssl")
    if not parts.hostname:
        raise ConfigError(f"broker URL has no host: {redact_url(url)!r}")
    try:
        port = parts.port or (DEFAULT_TLS_PORT if tls else DEFAULT_PORT)
    except ValueError as exc:
        raise ConfigError(f"broker URL has a bad port: {redact_url(url)!r}") from exc
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {CA_FILE_PARAM})
    if unknown:
        raise ConfigError(f"broker URL has unknown parameters {unknown}: {redact_url(url)!r}")
    ca_files = query.get(CA_FILE_PARAM, [])
    if ca_files and (not tls or len(ca_files) > 1 or not ca_files[0]):
        raise ConfigError(f"{CA_FILE_PARAM}= needs mqtts:// and one path: {redact_url(url)!r}")
    return BrokerAddress(
        host=parts.hostname,
        port=port,
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ca_file=ca_files[0] if ca_files else None,
    )
