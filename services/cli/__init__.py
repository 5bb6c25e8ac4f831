"""The ``campusgate`` command line: one module per command group."""
