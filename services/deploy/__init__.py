"""A fresh deployment's files: ``campusgate deploy init DIR`` (:mod:`.init`).

Secrets (database password, session secret, ID-number hash key, broker
passwords), the code-signing keys and their public export, the broker's accounts
and rules, each gate's configuration and the env files the compose services read,
all mode 0600, laid out as :mod:`.layout` says.  Nothing that exists is rewritten.
"""
