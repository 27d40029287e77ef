"""Full upgrade of the demo stack on the real engine: total time vs downtime.

Runs the demo's 1.0.0 -> 1.1.0.1 full upgrade (stage before stop), then an
upgrade to a release whose healthcheck fails, timing the rollback. The
reference here is the upgrade's own total time: ``ratio`` = downtime / total
says how much of the work happens while the service is down (lower is
better; the stage-before-stop design keeps download, extraction and image
loading out of it).

Last line: {"total_s", "downtime_s", "rollback_s", "ratio"}.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from tui_upgrader.core.events import Event, Step, StepEvent, discard
from tui_upgrader.demo.broken import build_broken_release
from tui_upgrader.demo.releases import build_demo
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stack.real_docker import RealDocker
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.planning import load_decision
from tui_upgrader.ops.upgrade.runner import run_upgrade

PROJECT = "tuiup-bench"


def _upgrade(
    settings: Settings, docker: RealDocker
) -> tuple[float, object, list[tuple[float, Event]]]:
    plan = load_decision(settings)
    events: list[tuple[float, Event]] = []
    start = time.monotonic()
    result = run_upgrade(
        UpgradePlan(settings, plan.manifest, plan.decision),
        Ports(docker),
        lambda e: events.append((time.monotonic(), e)),
        threading.Event(),
    )
    return time.monotonic() - start, result, events


def _step_time(events: list[tuple[float, Event]], step: Step) -> float:
    marks = {e.state: t for t, e in events if isinstance(e, StepEvent) and e.step is step}
    return marks["finished"] - marks["started"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The demo release is small already: --quick is accepted so every benchmark takes it.
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upgrade-") as tmp:
        root = Path(tmp)
        layout = build_demo(root / "demo", port=18971, project=PROJECT, image_repo="tuibench/web")
        docker = RealDocker(project_name=PROJECT)
        try:
            for tar in layout.installed_images:
                docker.load_image(tar, discard, None)
            docker.up(layout.deploy_dir)
            docker.wait_healthy(
                layout.deploy_dir, timeout_s=60, settle_s=1, emit=discard, cancel=None
            )
            settings = Settings(
                manifest=str(layout.manifest),
                deploy_dir=layout.deploy_dir,
                project_name=PROJECT,
                data_dir=root / "state",
                cache_dir=root / "cache",
                health_timeout_s=60,
                health_settle_s=2,
                allow_unsigned=True,  # the demo's store is unsigned; bench_verify times TUF
            )
            total, result, _ = _upgrade(settings, docker)
            if not getattr(result, "success", False):
                raise SystemExit(f"upgrade failed: {result}")
            downtime = float(getattr(result, "downtime_s", 0.0) or 0.0)
            broken = build_broken_release(layout, failure="unhealthy", store=root / "broken")
            rb_settings = replace(settings, manifest=str(broken.manifest))
            _, rb_result, events = _upgrade(rb_settings, docker)
            if not getattr(rb_result, "rolled_back", False):
                raise SystemExit(f"expected a rollback: {rb_result}")
            rollback = _step_time(events, Step.ROLLING_BACK)
        finally:
            docker.down(layout.deploy_dir)
    print(
        f"full upgrade {total:.2f} s, downtime {downtime:.2f} s, rollback {rollback:.2f} s",
        file=sys.stderr,
    )
    print(
        json.dumps(
            {
                "total_s": round(total, 3),
                "downtime_s": round(downtime, 3),
                "rollback_s": round(rollback, 3),
                "ratio": round(downtime / total, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
