"""Docker images through the Engine API: connect, load with per-layer progress, pull, tag."""
