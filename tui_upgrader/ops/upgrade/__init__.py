"""The upgrade workflow that orchestrates the other capabilities: plan, run, journal, recover."""
