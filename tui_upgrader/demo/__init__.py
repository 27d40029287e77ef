"""The demo: sample releases, images and a throw-away session for `tui-upgrader demo`."""
