"""The one-command demo: a private broker, the central service and simulated gates."""
