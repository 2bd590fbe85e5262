"""arena: the command line and build pipeline of the ARENA report (data → validation → analysis → site)."""
