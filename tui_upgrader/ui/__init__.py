"""The Textual front end: the app, its screens and widgets (they read the job's run model)."""
