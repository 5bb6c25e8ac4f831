"""Temporary passes by category with quotas, and the household exit quota."""

from services.passes.service import (
    BUILTIN_CATEGORIES,
    HouseholdExit,
    IssuedPass,
    PassCategory,
    PassRequest,
    QuotaStatus,
    TempPass,
    define_category,
    get_pass,
    household_quota,
    issue_pass,
    list_categories,
    list_passes,
    revoke_pass,
    seed_builtin_categories,
)

__all__ = [
    "BUILTIN_CATEGORIES",
    "HouseholdExit",
    "IssuedPass",
    "PassCategory",
    "PassRequest",
    "QuotaStatus",
    "TempPass",
    "define_category",
    "get_pass",
    "household_quota",
    "issue_pass",
    "list_categories",
    "list_passes",
    "revoke_pass",
    "seed_builtin_categories",
]
