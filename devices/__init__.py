"""Device drivers and their simulators: thermometers, code readers, turnstile relays."""
