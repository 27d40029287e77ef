"""Pure logic: no I/O, no Textual."""
