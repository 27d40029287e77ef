"""``tui-upgrader serve DIR [--host 127.0.0.1] [--port N]``: a static release server.

For LAN and air-gapped installs: put the release directory (manifest +
packages) on a machine, serve it, point ``--manifest`` at it. HTTP Range,
If-Range, ETag and HEAD come from Werkzeug's file serving.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from pathlib import Path
from typing import Any

from tui_upgrader.commands import arg_types
from tui_upgrader.core.i18n import _

DEFAULT_PORT = 8000


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "serve",
        parents=[common],
        help=_("static release server with HTTP Range (air-gapped / LAN)"),
        description=_("Serve a release directory over HTTP with Range/If-Range/ETag support."),
    )
    parser.add_argument(
        "dir", type=arg_types.existing_dir, metavar="DIR", help=_("directory to serve")
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help=_("address to bind (default 127.0.0.1: this machine only)"),
    )
    parser.add_argument(
        "--port",
        type=arg_types.port,
        default=DEFAULT_PORT,
        help=_("port to listen on (default {port}; 0 = any free port, printed)").format(
            port=DEFAULT_PORT
        ),
    )
    parser.set_defaults(func=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    root: Path = args.dir.resolve()
    from tui_upgrader.ops.release.server import make_release_server

    server = make_release_server(root, args.host, args.port)
    # Access lines on stderr while serving in the foreground (they also reach the log file).
    access = logging.StreamHandler(sys.stderr)
    access.setFormatter(logging.Formatter("%(message)s"))
    server_logger = logging.getLogger(type(server).__module__)  # the server logs access there
    server_logger.addHandler(access)
    server_logger.setLevel(logging.INFO)
    if not _is_loopback(args.host):
        print(
            _("tui-upgrader: warning: listening on {host}: reachable from the network").format(
                host=args.host
            ),
            file=sys.stderr,
        )
    print(
        _("Serving {root} at {url} (Ctrl+C to stop)").format(root=root, url=server.url), flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(_("Stopped."), flush=True)
    finally:
        server.shutdown()
        server_logger.removeHandler(access)
    return 0
