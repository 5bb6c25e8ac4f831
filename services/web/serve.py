"""The uvicorn configuration every runner of the web app uses (CLI, demo, tests).

uvicorn believes ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from 127.0.0.1 by
default (``proxy_headers=True``, ``forwarded_allow_ips="127.0.0.1"``): a client on
the same host, or anyone behind a proxy there, could then name its own address and
escape the per-address login limit.  Here the peer is never rewritten; the app reads
the forwarding headers itself, from the configured trusted proxies only
(:mod:`services.web.peer`).
"""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, *, host: str, port: int, **options: Any) -> uvicorn.Config:
    """A uvicorn config for ``app`` that never trusts forwarding headers itself."""
    return uvicorn.Config(app, host=host, port=port, proxy_headers=False, **options)
