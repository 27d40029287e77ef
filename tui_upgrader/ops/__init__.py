"""Side effects (files, HTTP, Docker), never Textual.

One package per capability of the workflow; import a name from the submodule
that defines it. The modules here are what all of them share.
"""
