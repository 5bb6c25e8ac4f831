"""``campusgate web``: the web service (kiosk, dashboard, clinic) under uvicorn."""

from __future__ import annotations

import argparse

from services.cli.loop import add_log_format


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "web",
        help="run the web service: gate kiosks, security office dashboard, clinic",
        description="Pages and JSON API, live from MQTT. Settings also from CAMPUSGATE_* "
        "(CAMPUSGATE_WEB__SESSION_SECRET is required outside the demo).",
    )
    parser.add_argument("--db", help="database URL (env CAMPUSGATE_DB__URL)")
    parser.add_argument("--broker", help="mqtt://host:port (env CAMPUSGATE_MQTT__URL)")
    parser.add_argument("--site", help="site served (env CAMPUSGATE_SITE)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8080)")
    parser.add_argument("--no-upgrade", action="store_true", help="do not migrate the database")
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        help="also serve /metrics (and /healthz, /readyz with reasons) here: a monitoring address",
    )
    add_log_format(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import os

    import uvicorn
    from pydantic import ValidationError

    from kernel.errors import ConfigError
    from services.identity import KEY_ENV, load_id_hash_key
    from services.storage.engine import upgrade
    from services.web.app import create_app
    from services.web.serve import server_config
    from services.web.settings import WebSettings

    overrides: dict[str, object] = {}
    if args.site:
        overrides["site"] = args.site
    if args.broker:
        overrides["mqtt"] = {"url": args.broker}
    if args.db:
        overrides["db"] = {"url": args.db}
    try:
        base = WebSettings().model_dump(exclude_unset=True)
        web = dict(base.get("web", {}))
        if args.host:
            web["host"] = args.host
        if args.port is not None:
            web["port"] = args.port
        settings = WebSettings.model_validate({**base, **overrides, "web": web})
    except ValidationError as exc:
        raise ConfigError(f"web settings: {exc}") from exc
    if os.environ.get(KEY_ENV):
        load_id_hash_key(allow_demo_key=settings.web.demo)  # a placeholder: refuse to start
    if not args.no_upgrade:
        upgrade(settings.db.url)
    app = create_app(settings)
    config = server_config(
        app,
        host=settings.web.host,
        port=settings.web.port,
        log_config=None,  # keep the logging configured by the CLI
        timeout_graceful_shutdown=3,
    )
    server = None
    if args.http:
        from kernel.observe import ObserveServer
        from services.web.observe import readiness_checks, web_registry

        ctx = app.state.ctx
        server = ObserveServer(args.http, web_registry(ctx), readiness_checks(ctx)).start()
    try:
        uvicorn.Server(config).run()
    finally:
        if server is not None:
            server.stop()
    return 0
