"""Code readers: decoders, camera reader, scanners, simulator (DESIGN section 2)."""
