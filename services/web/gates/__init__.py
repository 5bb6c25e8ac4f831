"""Gates as the office and the kiosks see them: state, counts, passages, commands."""
