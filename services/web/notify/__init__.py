"""Outbound notifications: an HMAC-signed webhook and SMTP e-mail, with a dead-letter list."""
