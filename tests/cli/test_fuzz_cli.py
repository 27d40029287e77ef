"""Seeded CLI fuzz (#26): mutated manifests of every shape through ``check``, and
every subcommand with bad arguments. Each run ends with exit 0 or 2, one line on
stderr when it refuses, no traceback, and nothing changed on disk.

In-process (``cli.main``) so a few hundred cases take seconds, not minutes.
"""

from __future__ import annotations

import copy
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from tests.cli.inprocess import assert_refusal_shape, make_world, run_cli
from tests.support.original_corpus import CASES, json_paths

SEED = int(os.environ.get("FUZZ_SEED", "1926"))
PER_SHAPE = int(os.environ.get("FUZZ_PER_SHAPE", "60"))
SHAPES = list({id(c.doc): c.doc for c in CASES}.values())

NASTY: list[Any] = [
    None, True, -1, 0, 2**63, 10**30, 1.5, float("1e308"), "", " ", "\x00", "a\x00b",
    "x" * 5000, "/" + "y" * 300 + "/p.zip", "http://127.0.0.1:99999/p.zip", "sha256:abc",
    "external", "99999999999.0.0", "1." + "9" * 4400 + ".0", "\u202e\u0007", "../../etc",
    [], {}, [None], {"url": None}, "v1.2.3.4.5", "2025-13-45T99:99:99Z",
]  # fmt: skip


def _mutate(doc: Any, rng: random.Random) -> bytes:
    mutated = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 3)):
        paths = json_paths(mutated)[1:]
        if not paths:
            break
        path = rng.choice(paths)
        node = mutated
        for key in path[:-1]:
            node = node[key]
        if rng.random() < 0.2 and isinstance(node, dict):
            del node[path[-1]]
        else:
            node[path[-1]] = copy.deepcopy(rng.choice(NASTY))  # never one object twice
    raw = json.dumps(mutated).encode()
    if rng.random() < 0.25:  # a huge integer literal, or splice bytes in
        if rng.random() < 0.5:
            raw = raw.replace(b"0", b"9" * 4400, 1)
        else:
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + rng.randbytes(rng.randint(1, 6)) + raw[at:]
    return raw


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_world(tmp_path, monkeypatch)


def test_mutated_manifests_of_every_shape(world: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(SEED)
    manifest = world / "m.json"
    runs = 0
    for doc in SHAPES:
        for _ in range(PER_SHAPE):
            manifest.write_bytes(_mutate(doc, rng))
            argv = ["check", "--config", str(world / "u.toml"), "--manifest", str(manifest)]
            if rng.random() < 0.3:
                argv.append("--json")
            code, err = run_cli(world, capsys, argv)
            assert_refusal_shape(argv, code, err)
            runs += 1
    assert runs == len(SHAPES) * PER_SHAPE


BAD_ARGS: list[list[str]] = [
    ["frob"], ["check", "--frob"], ["check", "--json", "extra"], ["--config"],
    ["check", "--config", "a\x00b"], ["check", "--deploy-dir", "z" * 5000],
    ["check", "--config", "{w}/afile"], ["check", "--config", "{w}/nope.toml"],
    ["check", "--manifest", "http://127.0.0.1:99999/m.json", "--config", "{w}/u.toml"],
    ["check", "--manifest", "htp://x/m.json", "--config", "{w}/u.toml"],
    ["check", "--manifest", "/dev/zero", "--config", "{w}/u.toml"],
    ["check", "--manifest", "{w}/" + "n" * 300, "--config", "{w}/u.toml"],
    ["fetch", "--frob"], ["upgrade", "--yes", "--frob"],
    ["upgrade", "--manifest", "{w}/none.json", "--config", "{w}/u.toml", "--yes"],
    ["recover", "--rollback", "--resume"], ["recover", "--rollback", "--deploy-dir", "{w}/typo"],
    ["backup"], ["backup", "frob"], ["backup", "restore", "abc"], ["backup", "restore", "1.5"],
    ["backup", "restore", ""], ["backup", "verify", "99999999999999999999999"],
    ["backup", "delete", "-1"], ["backup", "restore", "0"],
    ["release"], ["release", "build"],
    ["release", "build", "{w}/nosrc", "--version", "1.0.0", "--out", "{w}/o"],
    ["release", "build", "{w}", "--version", "1.0.0", "--out", "{w}/afile"],
    ["release", "keygen", "--out", "{w}/afile"],
    ["release", "keygen", "--out", "{w}/k", "--root-days", "nan"],
    ["release", "keygen", "--out", "{w}/k", "--root-threshold", "0"],
    ["release", "keygen", "--out", "{w}/k", "--root-keys", "99999"],
    ["release", "rotate-root", "--keys", "{w}/no", "--new-keys", "{w}/no2", "--out", "{w}"],
    ["release", "refresh", "--keys", "{w}/no", "--out", "{w}"],
    ["release", "bundle", "{w}/no", "--out", "{w}/b.tar"],
    ["release", "bundle", "{w}", "--out", "{w}"],
    ["serve", "{w}/no"], ["serve", "{w}", "--port", "99999"], ["serve", "{w}", "--port", "x"],
    ["trust"], ["trust", "a\x00b"],
    ["demo", "--port", "99999"], ["demo", "--port", "-1"], ["demo", "--dir", "{w}/afile"],
    # Only values no compose project may have: a valid one would start the demo.
    ["demo", "--project", "Bad Name"], ["demo", "--project", ""], ["demo", "--project", "-x"],
]  # fmt: skip


@pytest.mark.parametrize("argv", BAD_ARGS, ids=lambda a: " ".join(a)[:60])
def test_every_subcommand_with_bad_arguments(
    world: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    args = [a.replace("{w}", str(world)) for a in argv]
    code, err = run_cli(world, capsys, args)
    assert_refusal_shape(args, code, err)
    assert code == 2, (args, err)


# Typed arguments of every subcommand ("?"), each given seeded bad values: always exit 2.
# Every value must be invalid for every slot: a valid one would run the command for real
# (serve would listen, demo would start a stack).
SLOTS: list[list[str]] = [
    ["check", "--deploy-dir", "?"], ["check", "--config", "?"],
    ["fetch", "--deploy-dir", "?"], ["upgrade", "--yes", "--config", "?"],
    ["recover", "--rollback", "--deploy-dir", "?"], ["backup", "restore", "?"],
    ["backup", "verify", "?"], ["backup", "delete", "?", "--yes"],
    ["release", "keygen", "--out", "{w}/k", "--root-days", "?"],
    ["release", "keygen", "--out", "{w}/k", "--root-threshold", "?"],
    ["release", "build", "{w}", "--version", "1.0.0", "--out", "{w}/o", "--targets-days", "?"],
    ["release", "bundle", "?", "--out", "{w}/b.tar"],
    ["serve", "{w}", "--port", "?"], ["trust", "?", "--yes"],
    ["demo", "--port", "?"],
]  # fmt: skip
BAD_VALUES = [
    "", "\x00", "a\x00b", "x" * 5000, "/" + "d/" * 3000, "nan", "inf", "-inf", "1e999",
    "99999999999999999999999", "0x10", "\uff11\uff12", "abc", "-1.5", "-5", "9" * 5000,
]  # fmt: skip
PER_SLOT = 12


def test_seeded_bad_values_for_every_typed_argument(
    world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    runs = 0
    for template in SLOTS:
        for value in rng.sample(BAD_VALUES, PER_SLOT):
            argv = [a.replace("{w}", str(world)) for a in template]
            argv[argv.index("?")] = value
            code, err = run_cli(world, capsys, argv)
            assert_refusal_shape(argv, code, err)
            assert code == 2, (argv, err[:300])
            runs += 1
    assert runs == len(SLOTS) * PER_SLOT
