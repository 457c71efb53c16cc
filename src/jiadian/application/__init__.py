"""Use cases and the ports they depend on (imports only the domain and the standard library)."""
