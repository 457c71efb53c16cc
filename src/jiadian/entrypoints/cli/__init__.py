"""The `jiadian` command line (Typer)."""
