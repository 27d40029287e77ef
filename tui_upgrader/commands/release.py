"""``tui-upgrader release build SRC --version V --out DIR ...``: make a release store.

Prints the manifest path (``--json``: ``{manifest, packages: [{path, sha256,
size, kind, arch}]}``); warnings go to stderr. ``tui-upgrader serve DIR``
then publishes the store as the server root.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui_upgrader.commands import arg_types
from tui_upgrader.core.arch import Arch, parse_arch
from tui_upgrader.core.i18n import _
from tui_upgrader.core.versions import Version


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "release", parents=[common], help=_("build, sign (TUF) and bundle release stores")
    )
    actions = parser.add_subparsers(dest="release_command", metavar="ACTION", required=True)
    build = actions.add_parser(
        "build",
        parents=[common],
        help=_("pack a release folder into packages + manifest.json"),
        description=_(
            "Pack SRC (compose file, .env, app files, images/*.tar) into "
            "OUT/<version>/docker-<arch>.zip, optionally a patch from "
            "OLD_SRC, and write OUT/manifest.json."
        ),
    )
    build.add_argument("src", type=arg_types.existing_dir, metavar="SRC", help=_("release folder"))
    build.add_argument(
        "--version",
        required=True,
        dest="release_version",
        metavar="V",
        help=_("release version (1.4.2 or 1.4.2.3)"),
    )
    build.add_argument(
        "--out", required=True, type=arg_types.out_dir, metavar="DIR", help=_("release store")
    )
    build.add_argument(
        "--base-url",
        metavar="URL",
        help=_("absolute URL prefix of the store (default: server-root paths)"),
    )
    build.add_argument(
        "--patch-from",
        type=Path,
        metavar="OLD_SRC",
        help=_("also build the patch package from this older release folder"),
    )
    build.add_argument(
        "--arch",
        action="append",
        metavar="ARCH",
        help=_("x86_64 or aarch64 (repeatable; default x86_64)"),
    )
    build.add_argument("--notes", help=_("release notes when SRC has no RELEASE_NOTES.md"))
    build.add_argument(
        "--min-version", metavar="V", help=_("oldest version that may upgrade straight to this one")
    )
    build.add_argument(
        "--sign",
        type=Path,
        metavar="KEYDIR",
        help=_("sign the store with TUF metadata using the keys of `release keygen`"),
    )
    _expiry_options(build)
    build.add_argument("--json", action="store_true", help=_("print one JSON object"))
    build.set_defaults(func=run)
    from tui_upgrader.commands import release_signing

    release_signing.add_actions(actions, common)


def _arches(names: list[str] | None) -> tuple[Arch, ...]:
    return tuple(dict.fromkeys(parse_arch(n) for n in names or ["x86_64"]))


def _expiry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timestamp-days",
        type=arg_types.days,
        default=7.0,
        metavar="DAYS",
        help=_("timestamp.json expiry: clients refuse a channel not refreshed for longer (7)"),
    )
    parser.add_argument(
        "--snapshot-days",
        type=arg_types.days,
        default=30.0,
        metavar="DAYS",
        help=_("snapshot.json (30)"),
    )
    parser.add_argument(
        "--targets-days",
        type=arg_types.days,
        default=365.0,
        metavar="DAYS",
        help=_("targets.json (365)"),
    )


def run(args: argparse.Namespace) -> int:
    # Imported here so `tui-upgrader check` never pays for zipfile and the SDK.
    from tui_upgrader.ops.release.build import build_release

    result = build_release(
        args.src,
        version=Version.parse(args.release_version),
        out=args.out,
        arches=_arches(args.arch),
        base_url=args.base_url,
        patch_from=args.patch_from,
        notes=args.notes,
        min_version=Version.parse(args.min_version) if args.min_version else None,
    )
    for warning in result.warnings:
        print(_("tui-upgrader: warning: {warning}").format(warning=warning), file=sys.stderr)
    body = result.to_json()
    if args.sign is not None:
        from tui_upgrader.commands.release_signing import expiry_of
        from tui_upgrader.ops.release.signing import sign_store

        signed = sign_store(args.out, args.sign, expiry_of(args))
        body["signed"] = {"targets": signed.targets, "versions": signed.versions}
    if args.json:
        print(json.dumps(body))
    else:
        print(result.manifest)
    return 0
