"""The web service: gate kiosk, security office dashboard, clinic, users and roles.

FastAPI + uvicorn, server-rendered Jinja2 pages with a little plain JavaScript,
live updates by Server-Sent Events fed from one MQTT subscription per process.
Entry point: :func:`services.web.app.create_app`.
"""
