"""The long soak: random faults, one after another, each followed by the invariant.

    python -m tests.faults.soak --iterations 200 --seed 7

Each iteration resets a fresh copy of 1.0.0 and picks one fault at random: kill -9
at a step boundary or inside a step (then ``recover --rollback`` or ``--resume``), a
kill during that recovery too, or a download that loses its connection three to five
times. Progress goes to stderr; the last line on stdout is one JSON object:
``{"iterations", "kills", "recovered_old", "recovered_new", "network_drops",
"bytes_resent", "lost_files", "failures"}``. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import docker

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.kills import expected, kill_during, read_raw_journal, recover
from tests.faults.network import bytes_resent, faulty_manifest
from tests.faults.world import World, built_world
from tests.support.http_servers import Fault, FaultServer
from tui_upgrader.core.events import FORWARD_STEPS
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV

INSIDE = ("DownloadingUpdate", "ExtractingUpdate", "LoadingImages", "CreatingBackup",
          "ApplyingUpdate", "StartingServices")  # fmt: skip
BOUNDARIES = [n for s in FORWARD_STEPS for n in (s.value, f"{s.value}:end")]


@dataclass
class Tally:
    iterations: int = 0
    kills: int = 0
    recovered_old: int = 0
    recovered_new: int = 0
    network_drops: int = 0
    bytes_resent: int = 0
    lost_files: int = 0
    failures: list[dict[str, object]] = field(default_factory=list)


def _lost_files(case: Case) -> int:
    """Files of the admin's data/ that are not there byte for byte any more."""
    now = case.tree()
    return sum(
        1 for k, v in case.world.old_tree.items() if k.startswith("data/") and now.get(k) != v
    )


def _count(tally: Tally, which: str) -> None:
    if which == "old":
        tally.recovered_old += 1
    else:
        tally.recovered_new += 1


def _say(what: str) -> None:
    """What this iteration is about to do (a failure's message may not say)."""
    print(f"    {what}", file=sys.stderr)


def _kill_at_boundary(case: Case, rng: random.Random, tally: Tally) -> str:
    point, mode = rng.choice(BOUNDARIES), rng.choice(("rollback", "resume"))
    _say(f"kill at {point}, then recover --{mode}")
    code, events, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err[-500:]}"
    tally.kills += 1
    want = expected(read_raw_journal(case), events, mode)
    recover(case, mode)
    _count(tally, check_invariant(case, expect=want))
    return f"kill at {point}, recover --{mode}"


def _kill_inside(case: Case, rng: random.Random, tally: Tally) -> str:
    step, mode = rng.choice(INSIDE), rng.choice(("rollback", "resume"))
    after = rng.randrange(1 + case.world.step_events.get(step, 0))
    _say(f"kill inside {step} after {after} events, then recover --{mode}")
    run = kill_during(case, "upgrade", "--yes", "--json", step=step, after=after,
                      delay_s=rng.choice((0.0, rng.uniform(0, 0.05))))  # fmt: skip
    tally.kills += int(run.killed)
    want = expected(read_raw_journal(case), run.events, mode)
    if read_raw_journal(case) is not None:
        recover(case, mode)
    _count(tally, check_invariant(case, expect=want))
    return f"kill inside {step} (+{after} events, at {run.last_step}), recover --{mode}"


def _kill_between_renames(case: Case, rng: random.Random, tally: Tally) -> str:
    index, mode = rng.randrange(max(1, case.world.moves)), rng.choice(("rollback", "resume"))
    point = f"apply-move-{index}" + rng.choice(("", ":aside"))
    _say(f"kill at {point}, then recover --{mode}")
    code, _events, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err[-500:]}"
    tally.kills += 1
    recover(case, mode)
    _count(tally, check_invariant(case, expect="old" if mode == "rollback" else "new"))
    return f"kill at {point}, recover --{mode}"


def _kill_recovery(case: Case, rng: random.Random, tally: Tally) -> str:
    point = rng.choice(("ApplyingUpdate:end", "StartingServices", "VerifyingServices"))
    first, second = rng.choice(("rollback", "resume")), rng.choice(("rollback", "resume"))
    _say(f"kill at {point}, kill recover --{first}, then recover --{second}")
    code, _, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err[-500:]}"
    step = "RollingBack" if first == "rollback" else "StartingServices"
    run = kill_during(case, "recover", f"--{first}", "--json", step=step, after=rng.randrange(3))
    tally.kills += 1 + int(run.killed)
    want = expected(read_raw_journal(case), run.events, second)
    recover(case, second)
    _count(tally, check_invariant(case, expect=want))
    return f"kill at {point}, recover --{first} killed at {run.last_step}, recover --{second}"


def _network(case: Case, rng: random.Random, tally: Tally) -> str:
    data = case.world.package.read_bytes()
    server = FaultServer(data)
    try:
        count = rng.randint(3, 5)
        _say(f"{count} drops")
        share = len(data) // (count + 1)
        server.add(*[Fault(drop_after=rng.randrange(1, share)) for _ in range(count)])
        case.configure(str(faulty_manifest(case, server)), read_timeout_s=2, download_retries=8)
        code, events, err = case.run("upgrade", "--yes", "--json")
        assert code == 0, f"exit {code}: {err[-500:]} {events[-1:]}"
        tally.network_drops += count
        tally.bytes_resent += bytes_resent(server.gets, len(data))
    finally:
        server.shutdown()
    _count(tally, check_invariant(case, expect="new"))
    return f"{count} drops"


FAULTS: list[Callable[[Case, random.Random, Tally], str]] = [
    _kill_at_boundary,
    _kill_inside,
    _kill_between_renames,
    _kill_recovery,
    _network,
]


def soak(world: World, root: Path, iterations: int, seed: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    for i in range(iterations):
        fault = rng.choice(FAULTS)
        case = Case(world, root / f"iteration-{i}")
        started = time.monotonic()
        what = fault.__name__.strip("_").replace("_", " ")
        try:
            case.reset()
            what = fault(case, rng, tally)
        except Exception as exc:  # a failed iteration is recorded; the soak goes on
            tally.failures.append({"iteration": i, "fault": what, "error": str(exc)[-2000:]})
            print(f"[{i}] FAILED {what}: {exc}", file=sys.stderr)
        else:
            print(f"[{i}] ok {what} ({time.monotonic() - started:.1f} s)", file=sys.stderr)
            shutil.rmtree(case.root, ignore_errors=True)  # keep a failed one to inspect
        finally:
            if case.deploy.exists():
                tally.lost_files += _lost_files(case)
            case.compose("down", "--timeout", "2", check=False)
        tally.iterations += 1
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.soak", description=__doc__)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    args = parser.parse_args(argv)
    # A stopped soak still takes down its stack and removes its images (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    client = docker.from_env()
    root = Path(tempfile.mkdtemp(prefix="tui-upgrader-soak-"))
    try:
        with built_world(root / "world", client) as world:
            tally = soak(world, root, args.iterations, args.seed)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        client.close()
    print(json.dumps(asdict(tally)))
    return 1 if tally.failures or tally.lost_files else 0


if __name__ == "__main__":
    sys.exit(main())
