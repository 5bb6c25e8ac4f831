"""Audit pages for the auditor and the administrator."""
