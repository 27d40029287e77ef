"""argparse composition root: ``tui-upgrader [command] ...``.

Each subcommand lives in ``tui_upgrader.commands.<name>``; this module only
wires them together and turns our errors into exit codes. The TUI is imported
lazily so headless commands never load Textual.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from tui_upgrader import __version__
from tui_upgrader.commands.arg_types import path_arg
from tui_upgrader.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, ConfigError, UpgraderError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.redact import RedactingStream, escape_controls, redact_urls
from tui_upgrader.core.text import shorten_words

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


# The subcommands' parsers by name, filled by build_parser (for usage errors).
SUBPARSERS: dict[str, argparse.ArgumentParser] = {}


class Parser(argparse.ArgumentParser):
    """Usage errors are one line, like every other error: what, and where to look."""

    def error(self, message: str) -> NoReturn:
        text = shorten_words(" ".join(message.split()))
        self.exit(
            EXIT_BAD_INPUT,
            _("{prog}: error: {message} (see {prog} --help)\n").format(
                prog=self.prog, message=text
            ),
        )


def _common(defaults: bool) -> argparse.ArgumentParser:
    # The same options are accepted before and after the subcommand; the
    # subparser copy uses SUPPRESS so it never overwrites a value given earlier.
    default = None if defaults else argparse.SUPPRESS
    parser = Parser(add_help=False)
    group = parser.add_argument_group(_("common options"))
    group.add_argument("--config", type=path_arg, default=default, help=_("config file (TOML)"))
    group.add_argument(
        "--deploy-dir", type=path_arg, default=default, help=_("deployment directory")
    )
    group.add_argument("--manifest", default=default, help=_("release manifest URL or file path"))
    group.add_argument(
        "--dev",
        action="store_true",
        default=default if defaults else argparse.SUPPRESS,
        help=argparse.SUPPRESS,
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    SUBPARSERS.update(sub.choices)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """No subcommand means the TUI: parse only the common options then, so the
    subcommand modules (httpx, werkzeug, the backup stack) are not imported
    before the first screen is up."""
    argv = list(sys.argv[1:] if argv is None else argv)
    common = _common(defaults=True)
    common.prog = "tui-upgrader"
    args, rest = common.parse_known_args(argv)
    if rest:
        parser = build_parser()
        args, unknown = parser.parse_known_args(argv)
        if unknown:
            # Named by the subcommand's own parser, so the line points at its --help.
            where = SUBPARSERS.get(getattr(args, "command", None) or "", parser)
            where.error(_("unrecognized arguments: {args}").format(args=" ".join(unknown)))
        return absolute_paths(args)
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


@contextlib.contextmanager
def _redacted_output() -> Iterator[None]:
    """A command's stdout and stderr drop URL credentials, whoever prints."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingStream(out), RedactingStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


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
        try:
            setup_logging(args, settings)
        except (OSError, UpgraderError) as exc:  # log_dir read-only, foreign, a link
            # No log file: the one stderr line below is the whole report (without
            # a handler, logging's last resort would print it a second time).
            logging.getLogger().addHandler(logging.NullHandler())
            if isinstance(exc, UpgraderError):
                raise
            raise ConfigError(
                _("{path}: cannot write the log: {strerror}").format(
                    path=exc.filename or "log_dir", strerror=exc.strerror or exc
                )
            ) from None
        if args.command is None:
            return _run_tui(args)
        with _redacted_output():
            result: int = args.func(args)
        return result
    except UpgraderError as exc:
        logger.error("%s", exc)
        text = _("tui-upgrader: error: {exc}").format(exc=exc)
        print(escape_controls(redact_urls(text)), file=sys.stderr)
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

        what = escape_controls(redact_urls(f"{type(exc).__name__}: {exc}"))
        print(
            _("tui-upgrader: unexpected error: {what} (details in {log_file})").format(
                what=what, log_file=log_file()
            ),
            file=sys.stderr,
        )
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
