"""Search agents (they receive the kernel State and look ahead on clones)."""
