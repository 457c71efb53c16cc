"""In-memory adapters for every port: for testers, and for the embedded default's cart, cache and sessions."""
