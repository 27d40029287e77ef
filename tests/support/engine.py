"""Real Docker engine fixtures (filled in by the docker issue)."""
