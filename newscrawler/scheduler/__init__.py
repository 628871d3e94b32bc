"""The frontier: request priorities and fingerprints, and the shared Valkey/Redis frontier of a run."""
