"""Placeholder until the owning issue lands."""

from __future__ import annotations

import argparse
from typing import Any

from tui_upgrader.core.errors import OperationError


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("recover", parents=[common], help="(not yet available)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise OperationError("'recover' is not available yet")
