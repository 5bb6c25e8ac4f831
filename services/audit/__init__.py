"""Audit: who did and asked what (the audit log), entry history, explanations,
contact tracing, exports, and the hash chain over the entry log."""
