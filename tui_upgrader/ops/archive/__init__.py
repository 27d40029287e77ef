"""Safe extraction and streamed tar/zip reading and writing, for packages and backups."""
