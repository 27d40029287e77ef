"""``tui-upgrader check [--json]``: the decision and its reasons, nothing changed."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

from tui_upgrader.commands._runtime import settings_from_args
from tui_upgrader.core import display
from tui_upgrader.core.downtime import estimate_line
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.image_index import ThinEstimate, static_reason
from tui_upgrader.core.strategy import Decision, Strategy, strategy_name
from tui_upgrader.core.trust import TrustSummary
from tui_upgrader.ops.upgrade.estimate import expected_downtime
from tui_upgrader.ops.upgrade.planning import load_decision


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "check", parents=[common], help=_("show which upgrade applies and why (changes nothing)")
    )
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.add_argument(
        "--force-full", action="store_true", help=_("decide as if forcing a full upgrade")
    )
    parser.set_defaults(func=run)


def decision_json(decision: Decision, signed: bool = False) -> dict[str, Any]:
    package = decision.package
    return {
        "current_version": str(decision.current_version) if decision.current_version else None,
        "target_version": str(decision.target_version),
        "comparison": decision.comparison.value,
        "strategy": decision.strategy.value,
        "reasons": list(decision.reasons),
        "package": (
            {"url": package.url, "sha256": package.sha256, "size": package.size}
            if package is not None
            else None
        ),
        "warnings": list(decision.warnings),
        "arch": str(decision.arch),
        # Additive: "engine" (docker info), "TUI_UPGRADER_ARCH" or "machine".
        "arch_source": decision.arch_source,
        "blocked_by": str(decision.blocked_by) if decision.blocked_by else None,
        # Additive: verified through TUF (false only with allow_unsigned = true).
        "signed": signed,
    }


_LABELS = {
    "installed": N_("Installed:"),
    "offered": N_("Offered:"),
    "strategy": N_("Strategy:"),
    "package": N_("Package:"),
    "changes": N_("Changes:"),
    "warning": N_("Warning:"),
    "signed": N_("Signed:"),
    "download": N_("Download:"),
}


def _width() -> int:
    # Labels padded by cell width: a translation may be a different length
    # and CJK characters take two columns each.
    return max(display.cells(_(label)) for label in _LABELS.values()) + 1


def line(key: str, text: str) -> str:
    """``Label:    text`` with every label of this output in one column."""
    return display.pad(_(_LABELS[key]), _width()) + text


def decision_text(decision: Decision) -> str:
    current = decision.current_version.short if decision.current_version else _("nothing installed")
    width = _width()

    lines = [
        line("installed", current),
        line("offered", decision.target_version.short),
        line("strategy", strategy_name(decision.strategy)),
        _("Why:"),
        *(f"  - {reason}" for reason in decision.reasons),
    ]
    if decision.package is not None:
        pkg = decision.package
        size, digest = display.size(pkg.size), display.short_hash(pkg.sha256)
        lines.append(line("package", f"{pkg.url} ({size}, {digest})"))
    if decision.operations is not None:
        ops = decision.operations
        lines.append(
            line("changes", _("replace {paths}").format(paths=", ".join(ops.replaced) or "-"))
        )
        lines.append(" " * width + _("delete  {paths}").format(paths=", ".join(ops.deleted) or "-"))
    lines.extend(line("warning", w) for w in decision.warnings)
    return "\n".join(lines)


def trust_line(trust: TrustSummary) -> str:
    if not trust.signed:
        return line("signed", _("NO (allow_unsigned = true)"))
    expires = f"{trust.expires:%Y-%m-%d %H:%M} UTC" if trust.expires else "?"
    return line(
        "signed",
        _("key {key}, root v{version}, expires {expires}").format(
            key=trust.short_key_id, version=trust.root_version, expires=expires
        ),
    )


def download_line(found: ThinEstimate) -> str:
    return line("download", found.describe())


def run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    plan = load_decision(settings, force_full=args.force_full)
    decision = plan.decision
    reason = static_reason(decision)
    if reason is None:
        # Only now the engine and HTTP libraries: `check` of a plain release stays light.
        from tui_upgrader.ops.upgrade.thin_stage import with_download_estimate

        plan = with_download_estimate(plan, settings)
    elif decision.package is not None and decision.strategy is Strategy.FULL:
        plan = replace(plan, download=ThinEstimate(decision.package.size, None, reason))
    estimate = expected_downtime(settings) if plan.decision.upgrades else None
    if args.json:
        out = decision_json(plan.decision, plan.trust.signed)
        # Additive: the expected stop window (core.downtime); null when nothing upgrades
        # or no past upgrade of this deploy dir tells the non-backup part.
        out["expected_downtime_s"] = (
            None if estimate is None or estimate.total_s is None else round(estimate.total_s, 1)
        )
        out["expected_backup_s"] = None if estimate is None else round(estimate.backup_s, 2)
        out["backup_precopy"] = settings.backup_precopy
        # Additive: thin_bytes vs full_bytes of image delivery (null when not a full upgrade).
        out["download"] = plan.download.to_json() if plan.download is not None else None
        print(json.dumps(out))
    else:
        print(decision_text(plan.decision))
        if plan.download is not None:
            print(download_line(plan.download))
        print(trust_line(plan.trust))
        if estimate is not None:
            print(estimate_line(estimate))
    return 0
