"""Entry points: the Litestar HTTP API, the CLI and the worker. Thin: parse, call a use case, render."""
