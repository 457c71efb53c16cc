"""Pure domain model: aggregates, value objects, events and errors (standard library only)."""
