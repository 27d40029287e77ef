"""``tui-upgrader fetch [--json]``: download and verify the chosen package, print its path.

Download only: nothing in the deploy dir changes. The package lands in
``<cache>/packages/<version>/<full|patch>/<file>``; running the command again
reuses a verified file without a request, or resumes a partial one.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TYPE_CHECKING, Any

from tui_upgrader.commands._runtime import run_cancellable, settings_from_args
from tui_upgrader.core.errors import StrategyError, UnverifiableError
from tui_upgrader.core.events import Emit, Event, LogEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.strategy import Strategy, package_noun
from tui_upgrader.core.versions import Version
from tui_upgrader.headless import TextPrinter
from tui_upgrader.ops.upgrade.planning import load_decision, package_cache_path

if TYPE_CHECKING:
    from tui_upgrader.ops.download.fetch import DownloadResult


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "fetch",
        parents=[common],
        help=_("download + verify the package into the cache, print its path (download only)"),
    )
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.set_defaults(func=run)


def _stderr_emit(as_json: bool) -> Emit:
    printer = TextPrinter(sys.stderr)
    if not as_json:
        return printer

    def warnings_only(event: Event) -> None:
        # stdout carries exactly one JSON object; warnings still reach the admin.
        if isinstance(event, LogEvent):
            printer(event)

    return warnings_only


def _json(result: DownloadResult | None, strategy: Strategy, version: Version) -> str:
    body: dict[str, Any] = {
        "path": str(result.path) if result else None,
        "sha256": result.sha256 if result else None,
        "size": result.size if result else None,
        "bytes_transferred": result.bytes_transferred if result else 0,
        "resumed": result.resumed if result else False,
        # Additive keys, for scripts that want to know what was fetched.
        "strategy": strategy.value,
        "target_version": str(version),
    }
    return json.dumps(body)


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    decision = load_decision(settings).decision
    if decision.blocked_by is not None:
        # Do not spend the bandwidth on a package `upgrade` would refuse.
        raise StrategyError(
            _("{short} needs {short2} installed first").format(
                short=decision.target_version.short, short2=decision.blocked_by.short
            )
        )
    package = decision.package
    if decision.strategy is Strategy.NONE or package is None:
        if args.json:
            print(_json(None, decision.strategy, decision.target_version))
        else:
            why = decision.reasons[-1] if decision.reasons else _("no upgrade is needed")
            # The reason's own lead-in would say "nothing" twice.
            why = why.removeprefix(_("Nothing to do: "))
            print(_("Nothing to fetch: {why}").format(why=why))
        return 0
    if package.sha256 is None and not settings.allow_unverified:
        raise UnverifiableError(
            _(
                "{url}: the {package} has no sha256 in the manifest; "
                "refusing to download it (set allow_unverified = true in the "
                "config to accept it)"
            ).format(url=package.url, package=package_noun(package.kind))
        )
    dest = package_cache_path(settings.packages_dir, decision)
    emit = _stderr_emit(args.json)

    def work(cancel: threading.Event) -> DownloadResult:
        from tui_upgrader.ops.download.fetch import download

        return download(
            package.url,
            dest,
            expected_sha256=package.sha256,
            expected_size=package.size,
            expected_from=package.verified_by,
            settings=settings,
            emit=emit,
            cancel=cancel,
        )

    def interrupted() -> None:
        print(_("tui-upgrader: cancelling; the partial download is kept"), file=sys.stderr)

    result = run_cancellable(work, interrupted)
    print(_json(result, decision.strategy, decision.target_version) if args.json else result.path)
    return 0
