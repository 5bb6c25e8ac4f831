"""The session and device cookies are Secure whenever the request came by HTTPS (issue 14).

Served over TLS, the session cookie went out without ``Secure`` unless a setting said so;
now the request decides: HTTPS directly, or ``X-Forwarded-Proto: https`` from a trusted
proxy (never from anyone else).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fixtures.web_server import PASSWORD, WebServer

pytestmark = pytest.mark.mqtt


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "web.crt", folder / "web.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def cookies_set(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_the_cookies_are_secure_when_served_over_tls(
    make_server: Callable[..., WebServer], users: str, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    web = make_server(users, server_options={"ssl_certfile": str(cert), "ssl_keyfile": str(key)})
    assert web.url.startswith("https://")
    trust = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=web.url, verify=trust, timeout=30) as client:
        signed = client.post("/api/v1/session", json={"username": "admin", "password": PASSWORD})
        form = client.get("/login")
        phone = client.get("/me")  # the my-code sign-in form's nonce (path /me)
    assert signed.status_code == 200
    assert "cg_login" in cookies_set(phone)
    for name, header in {**cookies_set(signed), **cookies_set(form)}.items():
        assert "secure" in header.lower(), f"{name} is not Secure over TLS: {header}"
    for name, header in cookies_set(phone).items():
        assert "secure" in header.lower(), f"{name} is not Secure over TLS: {header}"


def test_a_trusted_proxy_says_when_the_request_came_by_https(
    make_server: Callable[..., WebServer], users: str
) -> None:
    body = {"username": "admin", "password": PASSWORD}
    https = {"X-Forwarded-Proto": "https"}
    plain = make_server(users)
    told_by_anyone = httpx.post(f"{plain.url}/api/v1/session", json=body, headers=https)
    proxied = make_server(users, trusted_proxies=["127.0.0.1"])
    told_by_proxy = httpx.post(f"{proxied.url}/api/v1/session", json=body, headers=https)
    over_http = httpx.post(f"{proxied.url}/api/v1/session", json=body)
    assert "secure" not in cookies_set(told_by_anyone)["cg_session"].lower()
    assert "secure" in cookies_set(told_by_proxy)["cg_session"].lower()
    assert "secure" not in cookies_set(over_http)["cg_session"].lower()
