"""Image logic that needs no engine: refs, archive index, load progress, engine host."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.support.images import busybox_image, write_image_tar
from tui_upgrader.core.errors import EngineUnavailableError
from tui_upgrader.core.events import Event, LayerEvent
from tui_upgrader.ops.images._internal.tar_layout import TarLayer, index_image_tar
from tui_upgrader.ops.images.engine import engine_host, normalise_ref, with_tag
from tui_upgrader.ops.images.load import LayerProgress
from tui_upgrader.ops.stack.real_docker import RealDocker


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("demo/app:1.2.0-amd64", "demo/app:1.2.0"),
        ("demo/app:1.2.0-arm64", "demo/app:1.2.0"),
        ("demo/app:2-x86_64", "demo/app:2"),
        ("demo/app:2-aarch64", "demo/app:2"),
        ("demo/app:-amd64", "demo/app:latest"),
        ("demo/app:1.2.0", "demo/app:1.2.0"),
        ("demo/app", "demo/app:latest"),
        ("registry:5000/demo/app:1.0-amd64", "registry:5000/demo/app:1.0"),
        ("demo/amd64-app:amd64", "demo/amd64-app:amd64"),  # only a "-arch" suffix counts
    ],
)
def test_normalise_ref(ref: str, expected: str) -> None:
    assert normalise_ref(ref) == expected


def test_with_tag() -> None:
    assert with_tag("localhost:5000/app") == "localhost:5000/app:latest"
    assert with_tag("app:1") == "app:1"
    assert with_tag("app@sha256:" + "0" * 64) == "app@sha256:" + "0" * 64


def test_index_points_at_each_layers_bytes(tmp_path: Path) -> None:
    tar = tmp_path / "two.tar"
    infos = write_image_tar(tar, [busybox_image(["a/b:1"], layers=3), busybox_image([], layers=2)])

    index = index_image_tar(tar)

    assert index.exact and index.compression is None
    assert index.images == ("a/b:1", f"sha256:{infos[1].image_id[7:19]}")
    data = tar.read_bytes()
    expected = {li.short_id: li.diff_id for info in infos for li in info.layers}
    assert {layer.layer_id for layer in index.layers} == set(expected)  # shared layers once
    for layer in index.layers:
        digest = hashlib.sha256(data[layer.offset : layer.offset + layer.size]).hexdigest()
        assert f"sha256:{digest}" == expected[layer.layer_id]


def test_unreadable_archive_is_one_pseudo_layer(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"\x00not a tar" * 100)

    index = index_image_tar(bad)

    assert not index.exact
    assert index.layers == (TarLayer("bad.tar", 0, 1000, "bad.tar", "bad.tar"),)


def test_layer_progress_counts_bytes_across_chunks() -> None:
    layers = (TarLayer("a", 512, 1000, "aaa", "img"), TarLayer("b", 2048, 4000, "bbb", "img"))
    events: list[Event] = []
    progress = LayerProgress(layers, events.append)
    progress.start()

    for start in range(0, 7000, 700):  # chunks straddle both layers and the headers
        progress.sent(start, start + 700)
    assert progress.engine("bbb", 2000, 4000)
    assert not progress.engine("zzz", 1, 2)
    last = {e.layer: e for e in events if isinstance(e, LayerEvent)}
    assert (last["aaa"].done, last["bbb"].done) == (500, 3000)  # upload is half the work

    progress.finish()
    last = {e.layer: e for e in events if isinstance(e, LayerEvent)}
    assert {(e.done, e.total) for e in last.values()} == {(1000, 1000), (4000, 4000)}
    for name in ("aaa", "bbb"):
        dones = [e.done for e in events if isinstance(e, LayerEvent) and e.layer == name]
        assert dones == sorted(dones) and dones[0] == 0


def _write_context(home: Path, name: str, host: str) -> None:
    meta = home / ".docker" / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    body = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}}
    (meta / "meta.json").write_text(json.dumps(body))
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": name}))


def test_engine_host_honours_docker_host_then_context(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    assert engine_host() == "unix:///var/run/docker.sock"
    _write_context(isolated_env, "remote", "unix:///run/other/docker.sock")
    assert engine_host() == "unix:///run/other/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "unix:///srv/docker.sock")
    assert engine_host() == "unix:///srv/docker.sock"


def test_missing_socket_gives_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = tmp_path / "nope" / "docker.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket}")

    with pytest.raises(EngineUnavailableError) as caught:
        RealDocker().engine_version()

    message = str(caught.value)
    assert message.startswith(f"no Docker engine answers at unix://{socket}: socket not found; ")
    assert "DOCKER_HOST" in message and "\n" not in message
    assert caught.value.exit_code == 1


def test_context_socket_is_named_when_it_does_not_answer(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    socket = tmp_path / "ctx.sock"
    _write_context(isolated_env, "elsewhere", f"unix://{socket}")

    with pytest.raises(EngineUnavailableError, match=f"at unix://{socket}: socket not found"):
        RealDocker().engine_version()
