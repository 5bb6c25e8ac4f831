"""The web's visitor pages and calls: the public request, the unit page, walk-ins."""
