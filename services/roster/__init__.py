"""Roster (白名单): import from CSV/XLSX with a validation report, export, return approval."""

from services.roster.importer import (
    ImportReport,
    RowError,
    import_file,
    import_roster,
    import_sheet,
)
from services.roster.person import PersonInvalid, add_person, edit_person, set_active
from services.roster.photos import PhotoInvalid, person_photo
from services.roster.service import (
    RosterEntry,
    export_roster,
    get_person,
    list_roster,
    set_return_approval,
)

__all__ = [
    "ImportReport",
    "PersonInvalid",
    "PhotoInvalid",
    "RosterEntry",
    "RowError",
    "add_person",
    "edit_person",
    "export_roster",
    "get_person",
    "import_file",
    "import_roster",
    "import_sheet",
    "list_roster",
    "person_photo",
    "set_active",
    "set_return_approval",
]
