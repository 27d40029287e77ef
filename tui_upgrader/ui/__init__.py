"""The Textual front end: the app, its screens and widgets, and the bridge to worker threads."""
