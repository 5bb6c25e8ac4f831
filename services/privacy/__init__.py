"""Privacy: the retention job (what each role may see is :mod:`kernel.masking`)."""
