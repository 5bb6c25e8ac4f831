"""The JSON API behind every page action (OpenAPI at /api/openapi.json)."""
