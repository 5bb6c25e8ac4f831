"""Printable ID cards: one signed ID code per person, laid out on A4 (PDF) or one PNG each."""
