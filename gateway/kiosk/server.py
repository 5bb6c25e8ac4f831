"""The local kiosk's HTTP server: the central kiosk's page, served by the gate agent.

Routes (the same paths the shared page script uses on the central web):

* ``GET /login``, ``POST /login`` (form; a login CSRF token bound to a cookie nonce),
  ``POST /logout`` (form, the session's CSRF token)
* ``GET /`` and ``GET /kiosk[/<gate>]``: the kiosk page (signed in)
* ``GET /api/v1/live``: server-sent events, ``hello`` then ``batch`` (signed in)
* ``POST /api/v1/gates/<gate>/<action>`` (JSON, ``X-CSRF-Token``): ``remeasure``,
  ``no-mask``, ``handheld``, ``screening``, ``vehicle``, ``override``,
  ``manual-passage``; ``GET /api/v1/gates/<gate>/lookup?q=`` (``X-CSRF-Token``);
  ``PUT /api/v1/me/lang``
* ``GET /static/...``: the page's scripts, style sheet and alarm, nothing else

Cookies are ``HttpOnly; SameSite=Strict``; every page says ``no-store`` and may not
be framed.  The default bind address is 127.0.0.1 (``--kiosk HOST:PORT`` to open it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from datetime import datetime
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from gateway.kiosk.actions import ActionRefused, Actions
from gateway.kiosk.bind import parse_bind
from gateway.kiosk.feed import KioskFeed
from gateway.kiosk.guards import FAILURE_WINDOW_S, GuardBook, Session, TooManyAttempts
from ui import STATIC, TEMPLATES
from ui.i18n import Lang, catalogue, lang_from_header, lang_or_default, t
from ui.pages import script_json

log = logging.getLogger(__name__)

SESSION_COOKIE = "cg_gate_session"
LOGIN_COOKIE = "cg_gate_login"
CSRF_HEADER = "X-CSRF-Token"
MAX_BODY = 4096
LIVE_WAIT_S = 15.0
SOCKET_TIMEOUT_S = 30.0
RECENT = 12
STATIC_FILES = {
    "/static/js/common.js": "application/javascript; charset=utf-8",
    "/static/js/kiosk.js": "application/javascript; charset=utf-8",
    "/static/css/app.css": "text/css; charset=utf-8",
    "/static/sounds/alarm.wav": "audio/wav",
}
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}


class KioskServer:
    """Serves the kiosk of ``gate`` on its own threads until ``stop()``."""

    def __init__(
        self, bind: str, *, gate: str, feed: KioskFeed, book: GuardBook, actions: Actions
    ) -> None:
        self.gate, self.feed, self.book, self.actions = gate, feed, book, actions
        self.secret = secrets.token_bytes(32)
        self.templates = Environment(
            loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
        )
        self.templates.filters["script_json"] = lambda value: Markup(script_json(value))  # noqa: S704
        host, port = parse_bind(bind)
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.kiosk = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="gate-kiosk", daemon=True
        )
        self._thread.start()
        log.info("gate %s: local kiosk on %s", self.gate, self.url)

    def stop(self) -> None:
        self.feed.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def login_csrf(self, nonce: str) -> str:
        return hmac.new(self.secret, nonce.encode(), hashlib.sha256).hexdigest()

    def render(self, name: str, lang: Lang, session: Session | None, **values: Any) -> bytes:
        page_data = values.pop("page_data", {})
        principal = {"username": session.username, "role": {"value": "guard"}} if session else None
        html = self.templates.get_template(name).render(
            lang=lang,
            t=lambda key, **kw: t(lang, key, **kw),
            principal=principal,
            csrf_token=session.csrf if session else "",
            can=lambda permission: session is not None and permission == "gate.view",
            page_data={"lang": lang, "messages": catalogue(lang), **page_data},
            **values,
        )
        return html.encode()

    def gate_view(self) -> dict[str, Any]:
        status = self.feed.latest_status() or {}
        devices = status.get("devices", {})
        return {
            "gate": self.gate,
            "online": status.get("online"),
            "mode": status.get("mode"),
            "screening": status.get("screening"),
            "lane": status.get("lane"),
            "devices": [{"name": n, **d} for n, d in sorted(devices.items())],
            "snapshot": status.get("snapshot"),
            "outbox": status.get("outbox", 0),
            "locked": status.get("mode") == "locked",
        }


class _Handler(BaseHTTPRequestHandler):
    server_version = "campusgate-gate"
    sys_version = ""
    timeout = SOCKET_TIMEOUT_S  # a client that stalls mid-request is dropped

    @property
    def kiosk(self) -> KioskServer:
        return self.server.kiosk  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("kiosk %s: " + format, self.client_address[0], *args)

    # -- plumbing -------------------------------------------------------------------

    def _cookie(self, name: str) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:
            return None
        morsel = jar.get(name)
        return morsel.value if morsel is not None else None

    def _session(self) -> tuple[str | None, Session | None]:
        token = self._cookie(SESSION_COOKIE)
        return token, self.kiosk.book.session(token)

    def _lang(self, session: Session | None) -> Lang:
        if session is not None:
            return lang_or_default(session.lang)
        return lang_from_header(self.headers.get("Accept-Language"))

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers)

    def _problem(self, status: int, error: str, message: str, retry_after: int = 0) -> None:
        wait = {"Retry-After": str(retry_after)} if retry_after else None
        self._json(status, {"error": error, "message": message}, wait)

    def _redirect(self, to: str, headers: dict[str, str] | None = None) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": to, **(headers or {})})

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if not 0 <= length <= MAX_BODY:
            return None
        return self.rfile.read(length)

    # -- GET ------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in STATIC_FILES:
            data = (STATIC / path.removeprefix("/static/")).read_bytes()
            self._send(HTTPStatus.OK, data, STATIC_FILES[path], {"Cache-Control": "no-cache"})
            return
        _token, session = self._session()
        if path == "/login":
            self._login_page(None, HTTPStatus.OK)
        elif path in ("/", "/kiosk", f"/kiosk/{self.kiosk.gate}"):
            if session is None:
                self._redirect("/login")
            else:
                self._kiosk_page(session)
        elif path == "/api/v1/live":
            if session is None:
                self._problem(HTTPStatus.UNAUTHORIZED, "not_authenticated", "sign in first")
            else:
                self._live()
        elif path.startswith("/api/v1/gates/") and path.endswith("/lookup"):
            self._lookup(path.removeprefix("/api/v1/gates/").removesuffix("/lookup"))
        else:
            self._problem(HTTPStatus.NOT_FOUND, "not_found", "no such page")

    def do_HEAD(self) -> None:
        self.do_GET()

    def _login_page(self, error: str | None, status: int) -> None:
        nonce = self._cookie(LOGIN_COOKIE) or secrets.token_urlsafe(16)
        lang = self._lang(None)
        body = self.kiosk.render(
            "login.html",
            lang,
            None,
            login_csrf=self.kiosk.login_csrf(nonce),
            next_path="",
            error=error,
        )
        cookie = f"{LOGIN_COOKIE}={nonce}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600"
        self._send(status, body, "text/html; charset=utf-8", {"Set-Cookie": cookie})

    def _kiosk_page(self, session: Session) -> None:
        gate = self.kiosk.gate
        detail = {
            "gate": self.kiosk.gate_view(),
            "recent": self.kiosk.feed.recent_decisions(RECENT),
        }
        body = self.kiosk.render(
            "kiosk.html",
            self._lang(session),
            session,
            gate=gate,
            can_act=True,
            local=True,
            page_data={"gate": gate, "detail": detail, "can_act": True, "local": True},
        )
        self._send(HTTPStatus.OK, body, "text/html; charset=utf-8")

    def _live(self) -> None:
        feed = self.kiosk.feed
        self.send_response(HTTPStatus.OK)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        position = feed.position()
        status = feed.latest_status()
        hello = {"statuses": [status] if status else []}
        try:
            self._event("hello", hello)
            while not feed.closed:
                position, events = feed.wait(position, LIVE_WAIT_S)
                if self._session()[1] is None:
                    return  # signed out, expired, or no longer a guard of this gate
                if events:
                    self._event("batch", events)
                else:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return

    def _event(self, name: str, data: object) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
        self.wfile.flush()

    # -- POST / PUT ---------------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/login":
            self._sign_in()
        elif path == "/logout":
            self._sign_out()
        elif path.startswith("/api/v1/gates/"):
            self._action(path)
        else:
            self._problem(HTTPStatus.NOT_FOUND, "not_found", "no such page")

    def do_PUT(self) -> None:
        if urlsplit(self.path).path != "/api/v1/me/lang":
            self._problem(HTTPStatus.NOT_FOUND, "not_found", "no such page")
            return
        token, body = self._api_call()
        if token is None or body is None:
            return
        lang = body.get("lang")
        if lang not in ("zh-CN", "en"):
            self._problem(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_input", "zh-CN or en")
            return
        self.kiosk.book.set_lang(token, lang)
        self._json(HTTPStatus.OK, {"lang": lang})

    def _form(self) -> dict[str, str] | None:
        raw = self._body()
        if raw is None:
            return None
        fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=8)
        return {key: values[0] for key, values in fields.items()}

    def _sign_in(self) -> None:
        form = self._form()
        nonce = self._cookie(LOGIN_COOKIE)
        lang = self._lang(None)
        if (
            form is None
            or nonce is None
            or not hmac.compare_digest(form.get("csrf_token", ""), self.kiosk.login_csrf(nonce))
        ):
            self._login_page(t(lang, "login.expired"), HTTPStatus.BAD_REQUEST)
            return
        remote = self.client_address[0]
        try:
            token, session = self.kiosk.book.sign_in(
                form.get("username", ""), form.get("password", ""), remote, lang
            )
        except TooManyAttempts:
            message = t(lang, "login.rate_limited", minutes=int(FAILURE_WINDOW_S // 60))
            self._login_page(message, HTTPStatus.TOO_MANY_REQUESTS)
            return
        except ValueError:
            self._login_page(t(lang, "login.failed"), HTTPStatus.UNAUTHORIZED)
            return
        log.info(
            "gate %s: guard %s signed in at the local kiosk", self.kiosk.gate, session.username
        )
        cookie = f"{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
        self._redirect(f"/kiosk/{self.kiosk.gate}", {"Set-Cookie": cookie})

    def _sign_out(self) -> None:
        token, session = self._session()
        form = self._form() or {}
        if token is None or session is None:
            self._redirect("/login")
            return
        if not hmac.compare_digest(form.get("csrf_token", ""), session.csrf):
            self._problem(HTTPStatus.FORBIDDEN, "bad_csrf", "the form's token is missing or wrong")
            return
        self.kiosk.book.sign_out(token)
        gone = f"{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        self._redirect("/login", {"Set-Cookie": gone})

    def _api_call(self) -> tuple[str | None, dict[str, Any] | None]:
        """The session token and JSON body of an API call, or (None, None) once answered."""
        token, session = self._session()
        if token is None or session is None:
            self._problem(HTTPStatus.UNAUTHORIZED, "not_authenticated", "sign in first")
            return None, None
        if not hmac.compare_digest(self.headers.get(CSRF_HEADER, ""), session.csrf):
            self._problem(HTTPStatus.FORBIDDEN, "bad_csrf", "the CSRF token is missing or wrong")
            return None, None
        raw = self._body()
        try:
            body = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            self._problem(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_input", "a JSON object")
            return None, None
        return token, body

    def _action(self, path: str) -> None:
        token, body = self._api_call()
        if token is None or body is None:
            return
        _, _, rest = path.partition("/api/v1/gates/")
        gate, _, action = rest.partition("/")
        if gate != self.kiosk.gate:
            self._problem(HTTPStatus.FORBIDDEN, "forbidden_gate", "not this gate")
            return
        session = self.kiosk.book.session(token)
        if session is None:
            self._problem(HTTPStatus.UNAUTHORIZED, "not_authenticated", "sign in first")
            return
        try:
            sent = self.kiosk.actions.run(action, body, by=session.username)
        except ActionRefused as exc:
            self._refused(exc, session)
            return
        log.info(
            "gate %s: %s by %s at the local kiosk",
            self.kiosk.gate,
            action,
            session.username if session else "?",
        )
        at = datetime.now().astimezone().isoformat()
        self._json(HTTPStatus.OK, {"ok": True, "at": at, **sent})

    def _refused(self, exc: ActionRefused, session: Session) -> None:
        message = t(lang_or_default(session.lang), f"error.{exc.error}")
        words = str(exc) if message.startswith("error.") else message
        self._problem(exc.status, exc.error, words, exc.retry_after)

    def _lookup(self, gate: str) -> None:
        """``GET .../lookup?q=`` as the central kiosk's: signed in, with the CSRF header
        (a look-up is counted and logged, so no other site may make one)."""
        token, body = self._api_call()
        if token is None or body is None:
            return
        if gate != self.kiosk.gate:
            self._problem(HTTPStatus.FORBIDDEN, "forbidden_gate", "not this gate")
            return
        session = self.kiosk.book.session(token)
        if session is None:
            self._problem(HTTPStatus.UNAUTHORIZED, "not_authenticated", "sign in first")
            return
        try:
            query = parse_qs(urlsplit(self.path).query, max_num_fields=4).get("q", [""])[0]
            found = self.kiosk.actions.lookup(query, by=session.username)
        except ValueError:
            self._problem(HTTPStatus.UNPROCESSABLE_ENTITY, "invalid_input", "one q")
            return
        except ActionRefused as exc:
            self._refused(exc, session)
            return
        self._json(HTTPStatus.OK, found)
