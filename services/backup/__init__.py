"""Backup and restore of a site: the database (SQLite online backup, or pg_dump), the
code-signing keys and the policy in force, in one private archive (:mod:`.service`)."""
