"""``tui-upgrader trust ROOT.json [--yes]``: pin the publisher's root metadata.

Shows the root's key ids and asks (the shared ``[y/N]`` prompt); the root is
then copied to ``<data_dir>/trust/root.json`` (0600). After that the root
changes only through the signed chain the repository publishes.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui_upgrader.commands import arg_types
from tui_upgrader.commands._runtime import confirm, settings_from_args
from tui_upgrader.core.i18n import _


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "trust",
        parents=[common],
        help=_("pin the publisher's root metadata (signed releases)"),
        description=_(
            "Trust ROOT.json (from `release keygen`, KEYDIR/root.json) as "
            "the anchor that every release must be signed under."
        ),
    )
    parser.add_argument(
        "root", type=arg_types.path_arg, metavar="ROOT.json", help=_("root metadata to trust")
    )
    parser.add_argument("--yes", action="store_true", help=_("do not ask"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.trust.anchor import pin_root, read_root_file

    settings = settings_from_args(args)
    data, info = read_root_file(args.root)
    err = sys.stderr
    print(
        _(
            "{root}: root v{version}, expires {expires:%Y-%m-%d}, "
            "{threshold} of {count} root key(s):"
        ).format(
            root=args.root,
            version=info.version,
            expires=info.expires,
            threshold=info.threshold,
            count=len(info.key_ids),
        ),
        file=err,
    )
    for role, ids in info.role_keys.items():
        print(f"  {role:<9} {', '.join(ids)}", file=err)
    question = _("Trust these keys for every release you install?")
    confirm(question, assume_yes=args.yes, what=_("trust"))
    path = pin_root(settings, data, str(args.root))
    print(path)
    return 0
