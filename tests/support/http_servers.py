"""Real HTTP servers on 127.0.0.1 (filled in by the download issue)."""
