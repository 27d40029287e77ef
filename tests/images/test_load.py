"""Loading image archives into a real engine, with per-layer progress."""

from __future__ import annotations

import gzip
import shutil
import threading
from collections import defaultdict
from pathlib import Path

import docker
import pytest
import zstandard

from tests.support.engine import ImageFactory, config_digest, remove_image_quietly, unique_name
from tests.support.images import ImageInfo, busybox_image, write_image_tar, write_random_file
from tui_upgrader.core.errors import CancelledError, DockerError
from tui_upgrader.core.events import Event, LayerEvent
from tui_upgrader.ops.images.engine import image_id
from tui_upgrader.ops.images.load import load_image_tar, tag_loaded

pytestmark = [pytest.mark.engine, pytest.mark.compat]


def _cleanup(factory: ImageFactory, infos: list[ImageInfo], *refs: str) -> None:
    for ref in refs:
        factory.track(ref)
    for info in infos:
        factory.track(info.image_id)


def _layers_by_id(events: list[Event]) -> dict[str, list[LayerEvent]]:
    out: dict[str, list[LayerEvent]] = defaultdict(list)
    for event in events:
        assert isinstance(event, LayerEvent)
        out[event.layer].append(event)
    return out


def test_multi_layer_load_reports_each_layer_up_to_its_size(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('tuitest/load')}:1.4.0-amd64"
    big = write_random_file(tmp_path / "big.bin", 3_000_000)
    image = busybox_image([ref], layers=3, files={"data/big.bin": big})
    infos = write_image_tar(tmp_path / "app-amd64.tar", [image])
    _cleanup(image_factory, infos, ref, ref.replace("-amd64", ""))
    events: list[Event] = []

    result = load_image_tar(docker_client, tmp_path / "app-amd64.tar", events.append)

    assert result.refs == (ref,)
    by_layer = _layers_by_id(events)
    expected = {layer.short_id: layer.size for layer in infos[0].layers}
    assert {k: v[0].total for k, v in by_layer.items()} == expected
    for layer_events in by_layer.values():
        dones = [e.done for e in layer_events]
        assert dones == sorted(dones), "progress never goes backwards"
        assert all(e.total == layer_events[0].total and e.phase == "loading" for e in layer_events)
        assert all(e.image == ref for e in layer_events)
        assert dones[0] == 0 and dones[-1] == layer_events[-1].total
    # The 3 MB layer is reported in steps, not only at its start and end.
    assert len(by_layer[infos[0].layers[-1].short_id]) >= 5

    names = tag_loaded(docker_client, result)
    assert names == [ref.replace("-amd64", "")]
    assert config_digest(docker_client, names[0]) == infos[0].image_id


def test_tar_holding_two_images_yields_both(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    first = f"{unique_name('tuitest/two-a')}:2.0.0-arm64"
    second = f"{unique_name('tuitest/two-b')}:2.0.0"
    tar = tmp_path / "two.tar"
    infos = write_image_tar(tar, [busybox_image([first]), busybox_image([second], layers=2)])
    _cleanup(image_factory, infos, first, second, first.replace("-arm64", ""))

    result = load_image_tar(docker_client, tar, lambda _e: None)

    assert result.refs == (first, second)
    assert tag_loaded(docker_client, result) == [first.replace("-arm64", ""), second]
    assert config_digest(docker_client, second) == infos[1].image_id


def test_untagged_image_is_named_by_its_id(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    tar = tmp_path / "untagged.tar"
    infos = write_image_tar(tar, [busybox_image([], layers=2)])
    _cleanup(image_factory, infos)
    events: list[Event] = []

    result = load_image_tar(docker_client, tar, events.append)

    assert result.refs == ()
    # The engine's ID: the config digest (classic store) or the manifest's (containerd).
    assert [config_digest(docker_client, i) for i in result.image_ids] == [infos[0].image_id]
    assert tag_loaded(docker_client, result) == list(result.image_ids)
    assert {e.image for e in events if isinstance(e, LayerEvent)} == {
        f"sha256:{infos[0].image_id[7:19]}"
    }


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_compressed_archive_loads_with_layer_progress(
    codec: str, docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('tuitest/packed')}:1.0.0"
    plain = tmp_path / "plain.tar"
    infos = write_image_tar(plain, [busybox_image([ref], layers=2)])
    _cleanup(image_factory, infos, ref)
    packed = tmp_path / f"app.tar.{'gz' if codec == 'gzip' else 'zst'}"
    with plain.open("rb") as src, packed.open("wb") as dst:
        if codec == "gzip":
            with gzip.GzipFile(fileobj=dst, mode="wb") as gz:
                shutil.copyfileobj(src, gz)
        else:
            zstandard.ZstdCompressor().copy_stream(src, dst)
    events: list[Event] = []

    result = load_image_tar(docker_client, packed, events.append)

    assert result.refs == (ref,)
    finals = {e.layer: (e.done, e.total) for e in events if isinstance(e, LayerEvent)}
    assert finals == {li.short_id: (li.size, li.size) for li in infos[0].layers}


@pytest.mark.parametrize(
    ("damage", "engine_says"),
    [("truncate", "unexpected EOF"), ("garbage", "invalid tar header")],
)
def test_corrupt_archive_fails_with_the_engines_message(
    damage: str,
    engine_says: str,
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    tmp_path: Path,
) -> None:
    ref = f"{unique_name('tuitest/corrupt')}:1.0.0"
    good = tmp_path / "good.tar"
    infos = write_image_tar(good, [busybox_image([ref], layers=2)])
    _cleanup(image_factory, infos, ref)
    bad = tmp_path / "bad-amd64.tar"
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"\x07garbage" * 4096)

    with pytest.raises(DockerError) as caught:
        load_image_tar(docker_client, bad, lambda _e: None)

    message = str(caught.value)
    assert "bad-amd64.tar" in message and engine_says in message
    assert "\n" not in message
    assert image_id(docker_client, ref) is None


def test_cancel_stops_the_upload(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('tuitest/cancel')}:1.0.0"
    tar = tmp_path / "app.tar"
    infos = write_image_tar(tar, [busybox_image([ref])])
    _cleanup(image_factory, infos, ref)
    cancel = threading.Event()
    cancel.set()

    with pytest.raises(CancelledError):
        load_image_tar(docker_client, tar, lambda _e: None, cancel)

    assert image_id(docker_client, ref) is None
    remove_image_quietly(docker_client, ref)
