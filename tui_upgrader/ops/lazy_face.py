"""Package faces that import a name's module only when the name is first used.

The TUI's first frame must not wait for the engine code behind a face (the
step machine, archive codecs, httpx, the docker SDK): ``from
tui_upgrader.ops.upgrade import load_decision`` loads ``planning`` and what it
needs, not ``runner``. Type checkers read the faces' ``TYPE_CHECKING`` imports;
``tests/test_architecture.py`` proves each face's table and imports agree.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_face(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a name to its submodule."""

    def getattr_(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    return getattr_
