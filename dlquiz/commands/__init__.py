"""Subcommands of the ``dlquiz`` command line (no textual here)."""
