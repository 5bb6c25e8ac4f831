"""The clinic's fever workflow: alerts, acknowledge, re-measure, outcome, escalation."""
