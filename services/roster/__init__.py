"""Roster import (CSV): each bad row reported by line, good rows upserted."""

from services.roster.importer import ImportReport, import_roster

__all__ = ["ImportReport", "import_roster"]
