"""Turnstile relay: frames, the USB driver against a fake board, NoRelay."""
