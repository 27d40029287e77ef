"""tui-upgrader: upgrade a self-hosted Docker Compose stack with a way back."""

__version__ = "0.1.0"
