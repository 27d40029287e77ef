"""Side effects (files, HTTP, Docker), never Textual.

One package per capability of the workflow (its ``__init__`` is its face);
the modules here are what all of them share.
"""
