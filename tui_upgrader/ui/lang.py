"""Translated key bindings.

``BINDINGS`` are class attributes: Textual merges them when the class is
created, at import, which may be before the catalogue is installed (and tests
switch languages in one process). So descriptions are ``N_()`` msgids and each
node translates its own copy of the bindings when it is built.
"""

from __future__ import annotations

from dataclasses import replace

from textual.dom import DOMNode

from tui_upgrader.core.i18n import ENGLISH, _, active_language


def translate_bindings(node: DOMNode) -> None:
    """Call in ``__init__`` after ``super().__init__()``; costs nothing in English."""
    if active_language() == ENGLISH:
        return
    # _bindings is the node's own copy of the class's merged BindingsMap.
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [
            replace(b, description=_(b.description), tooltip=_(b.tooltip) if b.tooltip else "")
            for b in group
        ]
        for key, group in bindings.key_to_bindings.items()
    }
