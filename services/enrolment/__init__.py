"""Enrolment at scale: the register of issued codes, printed cards, enrolment links, my code."""
