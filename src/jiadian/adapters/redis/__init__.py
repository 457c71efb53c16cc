"""Redis adapters: cache, cart, browsing history, codes and counters."""
