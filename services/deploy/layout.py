"""Where ``campusgate deploy init DIR`` puts each file (docker-compose.yml reads the same names).

::

    DIR/compose.env            settings compose interpolates (no secret): DIR itself, site, ports
    DIR/gates.toml             the gates file the broker accounts were made from
    DIR/broker/secrets.env     broker passwords (``campusgate broker config``'s file)
    DIR/broker/mosquitto/      mosquitto.conf, passwd, dynamic-security.json
    DIR/env/db.env             CAMPUSGATE_DB__URL (migrate, central, web, the scheduled jobs)
    DIR/env/central.env        CAMPUSGATE_MQTT__URL of the central account
    DIR/env/web.env            the web account's URL and the session secret
    DIR/env/id-hash.env        CAMPUSGATE_ID_HASH_KEY, the ID-number hash key (central and web)
    DIR/secrets/db_password    PostgreSQL's password (compose secret for the postgres image)
    DIR/secrets/gate-G.toml    gate G's configuration with its broker password (compose secret)
    DIR/keys/                  code-signing keys (private; the central side only)
    DIR/site-keys/             their public halves, for the gates
    DIR/backups/               where `docker compose --profile tools run --rm backup` writes
"""

from __future__ import annotations

COMPOSE_ENV = "compose.env"
GATES_FILE = "gates.toml"
BROKER_DIR = "broker"
ENV_DIR = "env"
DB_ENV = "db.env"
CENTRAL_ENV = "central.env"
WEB_ENV = "web.env"
ID_HASH_ENV = "id-hash.env"
SECRETS_DIR = "secrets"
DB_PASSWORD = "db_password"  # noqa: S105 (a file name)
KEYS_DIR = "keys"
SITE_KEYS_DIR = "site-keys"
BACKUPS_DIR = "backups"

# What the compose file expects: host and port names on its network, the database.
BROKER_HOST = "mosquitto"
BROKER_PORT = 1883
DB_HOST = "postgres"
DB_PORT = 5432
DB_NAME = "campusgate"
DB_USER = "campusgate"
# Where a container sees the broker's files (the eclipse-mosquitto image's layout).
BROKER_CONFIG_DIR = "/mosquitto/config"
BROKER_DATA_DIR = "/mosquitto/data"


def gate_secret(gate: str) -> str:
    """The file name of gate ``gate``'s configuration under ``DIR/secrets``."""
    return f"gate-{gate}.toml"
