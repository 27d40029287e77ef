"""Fault class 3: the network. Drops, a stall, 500, 416, a short body, a changed file.

The package comes from a deliberately misbehaving server; the rest of the
upgrade is real. Whatever happens, the bytes installed are the manifest's: the
download resumes (re-sending at most one chunk per drop), restarts when it must,
or fails before the stop, and the invariant holds either way.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.network import CHUNK, bytes_resent, faulty_manifest
from tests.support.http_servers import Fault, FaultServer

pytestmark = pytest.mark.engine


@pytest.fixture
def server(case: Case) -> Iterator[FaultServer]:
    srv = FaultServer(case.world.package.read_bytes())
    try:
        case.configure(
            str(faulty_manifest(case, srv)), read_timeout_s=2, connect_timeout_s=2,
            download_retries=6,
        )  # fmt: skip
        yield srv
    finally:
        srv.shutdown()


def _drops(rng: random.Random, size: int, count: int) -> list[Fault]:
    """``count`` drops at random offsets, each before the end of what is left."""
    share = size // (count + 1)
    return [Fault(drop_after=rng.randrange(1, share)) for _ in range(count)]


def _upgrade_succeeds(case: Case) -> None:
    code, events, err = case.run("upgrade", "--yes", "--json")
    assert code == 0, f"exit {code}: {err}\n{events[-1:]}"
    assert check_invariant(case) == "new"


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.faults_long)])
def test_three_drops_at_random_offsets_resume(case: Case, server: FaultServer, seed: int) -> None:
    size = len(server.data)
    server.add(*_drops(random.Random(seed), size, 3))
    _upgrade_succeeds(case)
    gets = server.gets
    assert len(gets) == 4, [(g.range, g.status, g.body_bytes) for g in gets]
    assert all(g.range is not None for g in gets[1:]), "every retry resumes with a Range"
    assert bytes_resent(gets, size) <= 3 * CHUNK


def test_a_stall_past_the_read_timeout_resumes(case: Case, server: FaultServer) -> None:
    size = len(server.data)
    server.add(Fault(stall_after=size // 3))
    _upgrade_succeeds(case)
    assert len(server.gets) == 2 and server.gets[1].range == f"bytes={size // 3}-"
    assert bytes_resent(server.gets, size) <= CHUNK


def test_500_answers_are_retried(case: Case, server: FaultServer) -> None:
    server.add(Fault(status=500), Fault(drop_after=1000), Fault(status=500))
    _upgrade_succeeds(case)
    assert [g.status for g in server.gets] == [500, 200, 500, 206]


def test_416_on_the_resume_restarts_from_zero(case: Case, server: FaultServer) -> None:
    size = len(server.data)
    server.add(Fault(drop_after=size // 2), Fault(status=416))
    _upgrade_succeeds(case)
    gets = server.gets
    assert [g.status for g in gets] == [200, 416, 200], [(g.range, g.status) for g in gets]


def test_a_short_ranged_body_is_completed(case: Case, server: FaultServer) -> None:
    size = len(server.data)
    server.add(Fault(drop_after=size // 4), Fault(short_by=size // 4))
    _upgrade_succeeds(case)
    gets = server.gets
    assert len(gets) == 3 and gets[2].range == f"bytes={size - size // 4}-"
    assert bytes_resent(gets, size) <= CHUNK


def test_a_short_whole_body_fails_before_the_stop(case: Case, server: FaultServer) -> None:
    size = len(server.data)
    server.add(*[Fault(short_by=size // 4)] * 8)
    code, events, err = case.run("upgrade", "--yes", "--json")
    assert code == 1, f"exit {code}: {err}"
    error = events[-1]["error"] or ""
    assert f"has {size - size // 4} bytes, the manifest says {size}" in error, error
    assert not [e for e in events if e.get("step") == "StoppingServices"]
    assert check_invariant(case) == "old"


def test_a_file_changed_mid_download_is_never_installed(case: Case, server: FaultServer) -> None:
    size = len(server.data)
    changed = bytes(b ^ 0x5A for b in server.data)
    server.add(Fault(drop_after=size // 3), Fault(republish=changed))
    code, events, err = case.run("upgrade", "--yes", "--json")
    assert code == 1, f"exit {code}: {err}"
    result = events[-1]
    assert result["type"] == "result" and result["success"] is False
    assert "sha256" in (result["error"] or "").lower(), result["error"]
    stopped = [e for e in events if e.get("step") == "StoppingServices"]
    assert not stopped, "the stack is never stopped for bytes that do not verify"
    gets = server.gets
    assert gets[1].if_range is not None and gets[1].status == 200, "the resume asked If-Range"
    assert check_invariant(case) == "old"
