"""Isolation cases from opening to release: the lifecycle, manual cases, lists of people."""
