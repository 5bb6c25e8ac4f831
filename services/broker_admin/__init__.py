"""Broker security: per-account Mosquitto passwords, ACLs and listeners from a gates file.

``campusgate broker config --gates FILE --out DIR`` reads the accounts
(:mod:`.inventory`), keeps or makes their passwords (:mod:`.secrets_file`),
hashes them the way Mosquitto does (:mod:`.passwords`), derives each account's
topic rights from :mod:`schemas.topics` (:mod:`.acl`), and writes the broker
configuration (:mod:`.mosquitto_conf`); :mod:`.generate` ties them together.
"""

from services.broker_admin.acl import Grant, grants, render_acl
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
    "render_acl",
    "verify_password",
    "write_broker_files",
]
