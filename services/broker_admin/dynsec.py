"""The broker's topic rules: a config file for Mosquitto's dynamic security plugin.

Why not Mosquitto's ``acl_file``: in Mosquitto 2.0 it never checks a SUBSCRIBE
(``mosquitto_acl_check_default`` returns success for every subscription; only
delivery is checked).  A gate could therefore join the central workers' shared
subscription ``$share/central/...``: Mosquitto hands that member its share of
the passages, the ``read`` check refuses delivery, and the passages are dropped,
never given to a worker.  The dynamic security plugin (shipped with Mosquitto
2.0, ``mosquitto_dynamic_security.so``) checks the subscription string itself,
``$share/GROUP/`` included, so a subscription not granted here is refused at
SUBACK and never exists.

Only the rules live here.  Passwords stay in Mosquitto's password file, which a
SIGHUP re-reads (rotation without a restart): a client here has no password, so
the plugin defers the login to that file.  The plugin reads this file only when
the broker starts; an account the plugin does not know is denied every topic.

Each account gets one role holding its rights (:func:`services.broker_admin.acl.grants`):

- ``read`` -> ``subscribePattern`` (the filter or a narrower one) and
  ``publishClientReceive`` (delivery);
- ``write`` -> ``publishClientSend``;
- ``share`` -> ``subscribeLiteral`` of that one ``$share/...`` filter.

Every role but the central's also denies ``$share/#`` outright, so no later,
broader grant can let a gate or the web into a shared subscription.  The
defaults deny everything but unsubscribing.
"""

from __future__ import annotations

import json
from typing import Any

from services.broker_admin.acl import Grant, grants
from services.broker_admin.inventory import Account, Role

SHARED_PREFIX = "$share/"
DENY_SHARING = "$share/#"
# The plugin checks higher priorities first; the denial must beat any grant.
DENY_PRIORITY = 100

DEFAULT_ACCESS = {
    "publishClientSend": False,
    "publishClientReceive": False,
    "subscribe": False,
    "unsubscribe": True,
}


def role_name(account: Account) -> str:
    return f"campusgate-{account.user}"


def _acl(acltype: str, topic: str, *, allow: bool = True, priority: int = 0) -> dict[str, Any]:
    return {"acltype": acltype, "topic": topic, "priority": priority, "allow": allow}


def _rules(grant: Grant) -> list[dict[str, Any]]:
    if grant.access == "share":
        if not grant.topic.startswith(SHARED_PREFIX):
            raise ValueError(f"a share grant needs a $share/ filter, not {grant.topic!r}")
        return [_acl("subscribeLiteral", grant.topic)]
    rules: list[dict[str, Any]] = []
    if grant.access in ("read", "readwrite"):
        rules += [_acl("subscribePattern", grant.topic), _acl("publishClientReceive", grant.topic)]
    if grant.access in ("write", "readwrite"):
        rules.append(_acl("publishClientSend", grant.topic))
    return rules


def role(account: Account) -> dict[str, Any]:
    """The one role of ``account``: its grants as plugin rules."""
    acls: list[dict[str, Any]] = []
    if account.role is not Role.CENTRAL:
        acls.append(_acl("subscribePattern", DENY_SHARING, allow=False, priority=DENY_PRIORITY))
    for grant in grants(account):
        acls += _rules(grant)
    return {"rolename": role_name(account), "acls": acls}


def _description(account: Account) -> str:
    if account.gate is not None:
        return f"gate {account.sites[0]}/{account.gate}"
    return f"{account.role} of {', '.join(account.sites)}"


def render_dynsec(accounts: list[Account]) -> str:
    """The plugin's JSON config: one client (no password) and one role per account."""
    document = {
        "defaultACLAccess": DEFAULT_ACCESS,
        "clients": [
            {
                "username": account.user,
                "textname": _description(account),
                "roles": [{"rolename": role_name(account)}],
            }
            for account in accounts
        ],
        "groups": [],
        "roles": [role(account) for account in accounts],
    }
    return json.dumps(document, indent=2) + "\n"
