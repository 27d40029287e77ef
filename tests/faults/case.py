"""One fault case: its own deploy dir (a copy of the pristine 1.0.0), config and stack.

Everything goes through the real CLI as a subprocess: ``run`` waits for it,
``spawn`` hands back the process so a test can read its JSON events and kill it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.snapshot import tree_snapshot
from tests.faults.world import CLI, STATE_DIR, World, write_config

Events = list[dict[str, Any]]


@dataclass
class Case:
    world: World
    root: Path
    config_extra: dict[str, Any] = field(default_factory=dict)
    packages: list[Path] = field(default_factory=list)  # other releases' packages it may fetch

    @property
    def deploy(self) -> Path:
        return self.root / "deploy"

    @property
    def data_dir(self) -> Path:
        return self.root / "state"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def configure(self, manifest: str | None = None, **extra: Any) -> Path:
        self.config_extra.update(extra)
        values: dict[str, Any] = {
            "manifest": manifest or self.world.manifest_url,
            "deploy_dir": str(self.deploy),
            "project_name": self.world.project,
            "data_dir": str(self.data_dir),
            "cache_dir": str(self.cache_dir),
            "log_dir": str(self.root / "logs"),
            "health_timeout_s": 30,
            "health_settle_s": 1,
            "read_timeout_s": 5,
            "allow_unsigned": True,  # the fault stores are built unsigned (TUF: #11)
            **self.config_extra,
        }
        return write_config(self.config, **values)

    def reset(self) -> None:
        """The pristine 1.0.0 on disk and running healthy, nothing else of a previous case."""
        self.compose("down", "--timeout", "2", check=False)
        if self.deploy.exists():
            shutil.rmtree(self.deploy)
        shutil.copytree(self.world.pristine, self.deploy, symlinks=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.world.ensure_old_image()
        self.world.drop_new_image()
        self.configure()
        self.compose("up", "-d", "--wait", "--wait-timeout", "60")

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [
                "docker",
                "compose",
                "-p",
                self.world.project,
                "--project-directory",
                str(self.deploy),
                *args,
            ],
            capture_output=True,
            text=True,
            env=self.world.env,
            timeout=180,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    def argv(self, *args: str) -> list[str]:
        return [*CLI, *args, "--config", str(self.config)]

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
    ) -> tuple[int, Events, str]:
        proc = subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            env={**self.world.env, **(env or {})},
            timeout=timeout,
            check=False,
        )
        return proc.returncode, parse_events(proc.stdout), proc.stderr

    def spawn(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={**self.world.env, **(env or {})},
        )

    def tree(self) -> dict[str, str]:
        return tree_snapshot(self.deploy, exclude=(STATE_DIR,))


def parse_events(stdout: str) -> Events:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def boundaries_of(events: Events) -> list[str]:
    """The crash-hook names of every step boundary a run's events show."""
    names = []
    for event in events:
        if event.get("type") == "step" and event.get("state") == "started":
            names.append(event["step"])
        elif event.get("type") == "step" and event.get("state") == "finished":
            names.append(f"{event['step']}:end")
    return names


def events_per_step(events: Events) -> dict[str, int]:
    """How many events each step emitted between its started and finished lines."""
    counts: dict[str, int] = {}
    current: str | None = None
    for event in events:
        if event.get("type") == "step" and event.get("state") == "started":
            current = event["step"]
            counts[current] = 0
        elif event.get("type") == "step" and event.get("step") == current:
            current = None
        elif current is not None:
            counts[current] += 1
    return counts


def reference_run(world: World) -> None:
    """One clean upgrade: the exact 1.1.0 tree and the boundaries the events show."""
    case = Case(world, world.root / "reference")
    case.reset()
    world.old_tree = case.tree()
    code, events, err = case.run("upgrade", "--yes", "--json")
    if code != 0:
        raise AssertionError(f"the reference upgrade failed ({code}): {err.strip()}")
    world.new_tree = case.tree()
    world.boundaries = boundaries_of(events)
    world.step_events = events_per_step(events)
    plans = [e["message"] for e in events if str(e.get("message", "")).startswith("apply plan: ")]
    world.moves = len(plans[0].removeprefix("apply plan: ").split(", ")) if plans else 0
    case.compose("down", "--timeout", "2", check=False)
