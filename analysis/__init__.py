"""Pure analysis functions for the ARENA report: every figure and every number is computed here."""
