"""Adapters: implementations of the application's ports (SQL, Redis, files, gateways, tasks, memory)."""
