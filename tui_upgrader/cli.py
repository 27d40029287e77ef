"""argparse composition root: ``tui-upgrader [command] ...``.

Each subcommand lives in ``tui_upgrader.commands.<name>``; this module only
wires them together and turns our errors into exit codes. The TUI is imported
lazily so headless commands never load Textual.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_upgrader import __version__
from tui_upgrader.core.errors import EXIT_FAILED, UpgraderError
from tui_upgrader.core.i18n import _

logger = logging.getLogger(__name__)

COMMANDS = (
    "check",
    "fetch",
    "upgrade",
    "recover",
    "backup",
    "release",
    "serve",
    "trust",
    "demo",
)


def _common(defaults: bool) -> argparse.ArgumentParser:
    # The same options are accepted before and after the subcommand; the
    # subparser copy uses SUPPRESS so it never overwrites a value given earlier.
    default = None if defaults else argparse.SUPPRESS
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group(_("common options"))
    group.add_argument("--config", type=Path, default=default, help=_("config file (TOML)"))
    group.add_argument("--deploy-dir", type=Path, default=default, help=_("deployment directory"))
    group.add_argument("--manifest", default=default, help=_("release manifest URL or file path"))
    group.add_argument(
        "--dev",
        action="store_true",
        default=default if defaults else argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-upgrader",
        description=_("Upgrade a self-hosted Docker Compose stack, with a way back."),
        parents=[_common(defaults=True)],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common(defaults=False)
    for name in COMMANDS:
        module = importlib.import_module(f"tui_upgrader.commands.{name}")
        module.add_parser(sub, common)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """No subcommand means the TUI: parse only the common options then, so the
    subcommand modules (httpx, werkzeug, the backup stack) are not imported
    before the first screen is up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = _common(defaults=True).parse_known_args(argv)
    if rest:
        return absolute_paths(build_parser().parse_args(argv))
    args.command = None
    return absolute_paths(args)


def absolute_paths(args: argparse.Namespace) -> argparse.Namespace:
    """Every path given on the command line, against the current directory, once.

    Done here, at the edge, so no later ``cwd=`` (compose runs in the deploy
    dir) can make a relative path mean something else. A manifest that is not
    a URL is a file path too.
    """
    for name, value in vars(args).items():
        if isinstance(value, Path):
            setattr(args, name, Path(os.path.abspath(value.expanduser())))
    manifest = getattr(args, "manifest", None)
    if isinstance(manifest, str) and manifest and "://" not in manifest:
        args.manifest = os.path.abspath(os.path.expanduser(manifest))
    return args


def _run_tui(args: argparse.Namespace) -> int:
    from tui_upgrader.ui.launch import run_tui

    return run_tui(args)


def main(argv: Sequence[str] | None = None) -> int:
    from tui_upgrader.ops.language import install_language

    # The environment's language first, so --help and usage errors speak it;
    # the config's ``language`` is known only once the options name the config.
    install_language()
    args = parse_args(argv)
    from tui_upgrader.ops.logsetup import readable_settings, setup_logging

    try:
        settings = readable_settings(args)
        install_language(
            settings.language if settings is not None else None,
            machine_output=bool(getattr(args, "json", False)),
        )
        setup_logging(args, settings)
        if args.command is None:
            return _run_tui(args)
        result: int = args.func(args)
        return result
    except UpgraderError as exc:
        logger.error("%s", exc)
        print(_("tui-upgrader: error: {exc}").format(exc=exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # Only reached before an engine job started (a job runs in its own thread
        # and is never interrupted this way), so no claim about the stack.
        print(_("tui-upgrader: interrupted"), file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_FAILED
    except Exception as exc:
        # A bug or an untranslated third-party error: one line for the admin,
        # the traceback for whoever reads the log.
        logger.exception("unexpected error")
        from tui_upgrader.ops.logsetup import log_file

        what = f"{type(exc).__name__}: {exc}"
        print(
            _("tui-upgrader: unexpected error: {what} (details in {log_file})").format(
                what=what, log_file=log_file()
            ),
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
