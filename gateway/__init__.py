"""The gate edge agent: pairs scans with readings, publishes passages, drives the turnstile."""
