"""``release keygen | refresh | rotate-root | bundle``: the signing side of publishing.

``keygen --out KEYDIR`` makes ed25519 keys and root v1 (``KEYDIR/root.json``
is what clients pin); ``build --sign KEYDIR`` signs a store; ``refresh``
re-signs timestamp and snapshot so a channel does not expire; ``rotate-root``
moves a store to new keys with root N+1 signed by the old keys and the new;
``bundle`` packs a signed store into one tar for air-gapped sites.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_upgrader.commands import arg_types
from tui_upgrader.core.i18n import _

if TYPE_CHECKING:
    from tui_upgrader.ops.release.signing import Expiry


def add_actions(actions: Any, common: argparse.ArgumentParser) -> None:
    from tui_upgrader.commands.release import _expiry_options

    keygen = actions.add_parser(
        "keygen", parents=[common], help=_("make signing keys (ed25519) and root metadata")
    )
    keygen.add_argument("--out", required=True, type=arg_types.out_dir, metavar="KEYDIR")
    keygen.add_argument(
        "--root-threshold",
        type=arg_types.small_count,
        default=1,
        metavar="N",
        help=_("root signatures needed (1)"),
    )
    keygen.add_argument(
        "--root-keys",
        type=arg_types.small_count,
        metavar="N",
        help=_("root keys to make (default: the threshold)"),
    )
    keygen.add_argument("--root-days", type=arg_types.days, default=365.0, metavar="DAYS")
    keygen.add_argument("--json", action="store_true", help=_("print one JSON object"))
    keygen.set_defaults(func=run_keygen)

    refresh = actions.add_parser(
        "refresh", parents=[common], help=_("re-sign timestamp + snapshot with a new expiry")
    )
    refresh.add_argument("--keys", required=True, type=arg_types.existing_dir, metavar="KEYDIR")
    refresh.add_argument(
        "--out", required=True, type=arg_types.existing_dir, metavar="DIR", help=_("release store")
    )
    _expiry_options(refresh)
    refresh.add_argument("--json", action="store_true", help=_("print one JSON object"))
    refresh.set_defaults(func=run_refresh)

    rotate = actions.add_parser(
        "rotate-root",
        parents=[common],
        help=_("move a store to new keys: root N+1 signed by the old and the new root keys"),
    )
    rotate.add_argument("--keys", required=True, type=arg_types.existing_dir, metavar="OLD_KEYDIR")
    rotate.add_argument(
        "--new-keys",
        required=True,
        type=arg_types.existing_dir,
        metavar="NEW_KEYDIR",
        help=_("from `release keygen`"),
    )
    rotate.add_argument(
        "--out", required=True, type=arg_types.existing_dir, metavar="DIR", help=_("release store")
    )
    rotate.add_argument("--root-days", type=arg_types.days, default=365.0, metavar="DAYS")
    _expiry_options(rotate)
    rotate.add_argument("--json", action="store_true", help=_("print one JSON object"))
    rotate.set_defaults(func=run_rotate)

    bundle = actions.add_parser(
        "bundle", parents=[common], help=_("one tar of a signed store, for air-gapped sites")
    )
    bundle.add_argument(
        "dir", type=arg_types.existing_dir, metavar="DIR", help=_("signed release store")
    )
    bundle.add_argument("--out", required=True, type=arg_types.out_file, metavar="FILE.tar")
    bundle.add_argument("--json", action="store_true", help=_("print one JSON object"))
    bundle.set_defaults(func=run_bundle)


def expiry_of(args: argparse.Namespace) -> Expiry:
    from tui_upgrader.ops.release.signing import Expiry

    return Expiry(args.timestamp_days, args.snapshot_days, args.targets_days)


def _print(args: argparse.Namespace, body: dict[str, Any], text: str) -> int:
    print(json.dumps(body) if args.json else text)
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.release.keys import generate_keys

    result = generate_keys(
        args.out,
        root_threshold=args.root_threshold,
        root_keys=args.root_keys,
        root_days=args.root_days,
    )
    lines = [f"{role:<9} {', '.join(k[:16] for k in ids)}" for role, ids in result.key_ids.items()]
    text = "\n".join([*lines, _("clients pin: tui-upgrader trust {root}").format(root=result.root)])
    body = {"keydir": str(result.keydir), "root": str(result.root), "key_ids": result.key_ids}
    return _print(args, body, text)


def _signed(args: argparse.Namespace, store: Path, versions: dict[str, int]) -> int:
    text = f"{store}: " + ", ".join(f"{role} v{v}" for role, v in versions.items())
    return _print(args, {"store": str(store), "versions": versions}, text)


def run_refresh(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.release.signing import refresh_store

    result = refresh_store(args.out, args.keys, expiry_of(args))
    return _signed(args, args.out, result.versions)


def run_rotate(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.release.signing import rotate_root

    result = rotate_root(
        args.out, args.keys, args.new_keys, root_days=args.root_days, expiry=expiry_of(args)
    )
    return _signed(args, args.out, result.versions)


def run_bundle(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.release.bundle import write_bundle

    result = write_bundle(args.dir, args.out)
    body = {"bundle": str(result.path), "files": result.files, "size": result.size}
    return _print(args, body, str(result.path))
