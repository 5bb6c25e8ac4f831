"""Broker security: per-account Mosquitto passwords, topic rules and listeners from a gates file.

``campusgate broker config --gates FILE --out DIR`` reads the accounts
(:mod:`.inventory`), keeps or makes their passwords (:mod:`.secrets_file`),
hashes them the way Mosquitto does (:mod:`.passwords`), derives each account's
topic rights from :mod:`schemas.topics` (:mod:`.acl`), turns them into the
broker's rules (:mod:`.dynsec`) and writes the broker configuration
(:mod:`.mosquitto_conf`); :mod:`.generate` ties them together.
"""

from services.broker_admin.acl import Grant, grants
from services.broker_admin.dynsec import render_dynsec
from services.broker_admin.generate import BrokerFiles, TlsFiles, write_broker_files
from services.broker_admin.inventory import Account, Role, load_inventory
from services.broker_admin.passwords import hash_password, new_password, verify_password

__all__ = [
    "Account",
    "BrokerFiles",
    "Grant",
    "Role",
    "TlsFiles",
    "grants",
    "hash_password",
    "load_inventory",
    "new_password",
    "render_dynsec",
    "verify_password",
    "write_broker_files",
]
