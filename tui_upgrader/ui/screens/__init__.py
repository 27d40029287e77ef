"""The TUI's screens, one per step of the wizard or dialog."""
