"""Live data: one MQTT subscription per web process, fanned out to browsers by SSE."""
