"""The central decision worker: MQTT passages in, durable entries and decisions out."""
