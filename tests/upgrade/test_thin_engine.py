"""Thin image delivery end to end (#23): real engine, real HTTP server, the real CLI.

The demo stack runs 1.0.0; the 1.1.0 release's image shares its base layers
with an image the engine has and adds one new (random, test-unique) layer.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.engine import config_digest, load_image_tar, remove_image_quietly
from tests.support.engine_env import EngineEnv
from tests.support.engines import selected
from tests.support.images import busybox_image, write_image_tar
from tests.support.signing import sign, trust
from tui_upgrader.core.image_index import parse_index
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.settings import Settings

pytestmark = pytest.mark.engine

APP_BYTES = 256 * 1024


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def _base(nonce: str) -> list[dict[str, Any]]:
    """Busybox plus a test-unique layer: chains no other test's image holds."""
    image = busybox_image(["x"], layers=1)
    return [{**image.layers[0], "etc/base-nonce": nonce.encode()}, {"layers/1.txt": b"1\n"}]


def _with_app(env: EngineEnv, base: list[dict[str, Any]], app: bytes, ref: str, tar: Path) -> str:
    image = busybox_image([ref], layers=1)
    stack = (*base, {"etc/demo-version": b"1.1.0\n", "www/app.bin": app})
    (info,) = write_image_tar(tar, [type(image)(image.refs, stack, image.cmd, {})])
    return info.image_id


def _release(env: EngineEnv, base: list[dict[str, Any]]) -> tuple[Path, str]:
    """A 1.1.0 store whose image is ``base`` + a new app layer."""
    src = env.tmp / "src110"
    shutil.copytree(env.layout.sources["1.1.0"], src)
    image_id = _with_app(
        env, base, os.urandom(APP_BYTES), env.layout.images["1.1.0"], src / "images" / "web.tar"
    )
    out = env.tmp / "store110"
    build_release(src, version=Version.parse("1.1.0"), out=out)
    return out, image_id


def _preload_base(env: EngineEnv, base: list[dict[str, Any]]) -> str:
    """An unused image holding ``base`` (what the previous release left behind)."""
    ref = f"tuitest/{env.project}-old:1"
    tar = env.tmp / "old.tar"
    _with_app(env, base, b"old\n", ref, tar)
    load_image_tar(env.client, tar)
    return ref


class _Handler(SimpleHTTPRequestHandler):
    hook: Callable[[str], None] = staticmethod(lambda path: None)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        type(self).hook(self.path)
        super().do_GET()


@contextmanager
def _serve(store: Path, hook: Callable[[str], None]) -> Iterator[str]:
    handler = type("Hooked", (_Handler,), {"hook": staticmethod(hook)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(store)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/manifest.json"
    finally:
        server.shutdown()
        server.server_close()


def _logs(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events if e["type"] == "log"]


def _assert_running(env: EngineEnv, image_id: str, diff_ids: list[str]) -> None:
    """The stack runs the release's image, with exactly its layers (either store)."""
    ref = env.layout.images["1.1.0"]
    low: Any = env.client.api
    info = low.inspect_image(ref)
    assert env.running_images()["web"] == info["Id"]
    assert config_digest(env.client, ref) == image_id
    assert info["RootFS"]["Layers"] == diff_ids


CONTAINERD = "the engine uses the containerd image store"


def test_thin_upgrade_fetches_only_the_missing_layer(env: EngineEnv) -> None:
    base = _base(os.urandom(8).hex())
    old = _preload_base(env, base)
    store, image_id = _release(env, base)
    fetched: list[str] = []
    try:
        with _serve(store, fetched.append) as url:
            env.write_config(url)
            checked, (report,), check_err = env.cli("check", "--json")
            fetched.clear()
            code, events, err = env.cli("upgrade", "--yes", "--json")
    finally:
        env.client.images.remove(old, force=True)
    assert checked == 0, check_err
    full = (store / "1.1.0" / "docker-x86_64.zip").stat().st_size
    assert report["package"]["size"] == full  # the contract's fields are unchanged
    download = report["download"]
    index = parse_index((store / "1.1.0" / "images-x86_64.json").read_bytes())
    (image,) = index.images
    assert code == 0, err
    assert events[-1]["success"] is True
    _assert_running(env, image_id, [la.diff_id for la in image.layers])
    if selected().containerd_store:
        # No thin loads on this store: the full package, said once, before the stop.
        assert download["mode"] == "full" and CONTAINERD in download["reason"]
        assert [m for m in _logs(events) if m.startswith("full package:") and CONTAINERD in m]
        assert "/1.1.0/docker-x86_64.zip" in fetched
        assert not [p for p in fetched if p.startswith("/blobs/")]
        return
    assert download["mode"] == "thin" and download["full_bytes"] == full
    assert download["thin_bytes"] == download["download_bytes"] < full / 2
    assert any(m.startswith("thin download:") for m in _logs(events)), _logs(events)
    blobs = sorted(p for p in fetched if p.startswith("/blobs/"))
    want = sorted(f"/blobs/sha256/{b.hex}" for b in (image.config, image.layers[-1].blob))
    assert blobs == want, "only the config and the new layer are downloaded"
    assert "/1.1.0/docker-x86_64.zip" not in fetched
    layer_events = [e for e in events if e["type"] == "layer"]
    assert len({e["layer"] for e in layer_events}) == len(image.layers)


def test_a_base_layer_removed_between_planning_and_loading_falls_back(env: EngineEnv) -> None:
    base = _base(os.urandom(8).hex())
    old = _preload_base(env, base)
    store, image_id = _release(env, base)
    removed: list[str] = []

    def remove_base(path: str) -> None:
        # The first fetch after planning: the engine loses the base layer now.
        if path.endswith("-files.zip") and not removed:
            env.client.images.remove(old, force=True)
            removed.append(path)

    try:
        with _serve(store, remove_base) as url:
            env.write_config(url)
            code, events, err = env.cli("upgrade", "--yes", "--json")
    finally:
        remove_image_quietly(env.client, old)
    assert code == 0, err
    logs = _logs(events)
    fallback = [m for m in logs if m.startswith("full package:")]
    why = CONTAINERD if selected().containerd_store else "no longer has"
    assert len(fallback) == 1 and why in fallback[0], logs
    assert bool(removed) is not selected().containerd_store
    stop = next(i for i, e in enumerate(events) if e.get("step") == "StoppingServices")
    assert events.index(next(e for e in events if e.get("message") == fallback[0])) < stop
    index = parse_index((store / "1.1.0" / "images-x86_64.json").read_bytes())
    _assert_running(env, image_id, [la.diff_id for la in index.images[0].layers])


def test_without_the_previous_layers_the_full_package_is_used(env: EngineEnv) -> None:
    base = _base(os.urandom(8).hex())  # never loaded: the engine has none of it
    store, image_id = _release(env, base)
    fetched: list[str] = []
    with _serve(store, fetched.append) as url:
        env.write_config(url)
        code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code == 0, err
    why = CONTAINERD if selected().containerd_store else "thin is not smaller"
    assert [m for m in _logs(events) if m.startswith("full package:") and why in m], _logs(events)
    assert "/1.1.0/docker-x86_64.zip" in fetched
    assert not [p for p in fetched if p.startswith("/blobs/")]
    index = parse_index((store / "1.1.0" / "images-x86_64.json").read_bytes())
    _assert_running(env, image_id, [la.diff_id for la in index.images[0].layers])


def test_signed_release_refuses_a_tampered_blob(env: EngineEnv) -> None:
    base = _base(os.urandom(8).hex())
    old = _preload_base(env, base)
    store, _image_id = _release(env, base)
    keys = sign(store, env.tmp / "keys")
    index = parse_index((store / "1.1.0" / "images-x86_64.json").read_bytes())
    layer = store / "blobs" / "sha256" / index.images[0].layers[-1].blob.hex
    assert json.loads((store / "targets.json").read_bytes())["signed"]["targets"][
        f"blobs/sha256/{layer.name}"
    ]
    genuine = layer.read_bytes()
    evil = bytearray(genuine)
    evil[len(evil) // 2] ^= 0xFF  # the mirror changes one byte after signing
    layer.write_bytes(bytes(evil))
    cached = env.tmp / "cache" / "blobs" / "sha256" / layer.name
    before = env.tree()
    ids = {n: c.id for n, c in env.containers().items()}
    try:
        with _serve(store, lambda path: None) as url:
            env.write_config(url, allow_unsigned=False)
            trust(Settings(data_dir=env.tmp / "state"), keys)
            code, events, err = env.cli("upgrade", "--yes", "--json")
            if selected().containerd_store:  # never fetches a blob: the full package
                assert code == 0, err
                assert not cached.exists()
                return
            assert code == 1, err
            result = events[-1]
            assert result["success"] is False and "sha256" in (result["error"] or ""), result
            steps = {(e["step"], e["state"]) for e in events if e["type"] == "step"}
            assert ("StoppingServices", "started") not in steps
            assert env.tree() == before
            assert {n: c.id for n, c in env.containers().items()} == ids
            assert not cached.exists()

            layer.write_bytes(genuine)  # the mirror is repaired
            code, events, err = env.cli("upgrade", "--yes", "--json")
    finally:
        env.client.images.remove(old, force=True)
    assert code == 0, err
    assert events[-1]["success"] is True
    assert any(m.startswith("thin download:") for m in _logs(events)), _logs(events)
    assert cached.read_bytes() == genuine


def test_a_mirror_without_the_blobs_falls_back_to_the_full_package(env: EngineEnv) -> None:
    base = _base(os.urandom(8).hex())
    old = _preload_base(env, base)
    store, image_id = _release(env, base)
    index = parse_index((store / "1.1.0" / "images-x86_64.json").read_bytes())
    (store / "blobs" / "sha256" / index.images[0].layers[-1].blob.hex).unlink()
    fetched: list[str] = []
    try:
        with _serve(store, fetched.append) as url:
            env.write_config(url)
            code, events, err = env.cli("upgrade", "--yes", "--json")
    finally:
        env.client.images.remove(old, force=True)
    assert code == 0, err
    why = CONTAINERD if selected().containerd_store else "404"
    fallback = [m for m in _logs(events) if m.startswith("full package:")]
    assert len(fallback) == 1 and why in fallback[0], _logs(events)
    assert "/1.1.0/docker-x86_64.zip" in fetched
    _assert_running(env, image_id, [la.diff_id for la in index.images[0].layers])
