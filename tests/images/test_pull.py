"""Pulling from a local registry (Debian's docker-registry) with per-layer progress."""

from __future__ import annotations

import random
from collections import defaultdict

import docker
import pytest

from tests.support.engine import ImageFactory, remove_image_quietly, unique_name
from tests.support.engines import selected
from tests.support.registry import LocalRegistry
from tui_upgrader.core.errors import DockerError
from tui_upgrader.core.events import Event, LayerEvent
from tui_upgrader.ops.images.engine import image_id
from tui_upgrader.ops.stack.real_docker import RealDocker

pytestmark = [pytest.mark.engine, pytest.mark.compat]


def test_pull_reports_download_and_extract_progress_per_layer(
    docker_client: docker.DockerClient, image_factory: ImageFactory, local_registry: LocalRegistry
) -> None:
    # Incompressible, so the registry's gzip layer is really 2 MiB on the wire.
    payload = random.Random(7).randbytes(2 << 20)
    built = image_factory(layers=3, files={"www/app.bin": payload}, unique_layers=True)
    ref = local_registry.ref(unique_name("tuitest/pull"), "2.0.0")
    repo, tag = ref.rsplit(":", 1)
    assert docker_client.api.tag(built.ref, repo, tag)
    for line in docker_client.api.push(repo, tag, stream=True, decode=True):
        assert "error" not in line, line
    remove_image_quietly(docker_client, ref)
    remove_image_quietly(docker_client, built.ref)  # drop the layers so they download again
    assert image_id(docker_client, ref) is None
    image_factory.track(ref)
    events: list[Event] = []

    RealDocker(client=docker_client).pull_image(ref, events.append, None)

    assert image_id(docker_client, ref) is not None
    phases: dict[tuple[str, str], list[LayerEvent]] = defaultdict(list)
    for event in events:
        assert isinstance(event, LayerEvent) and event.image == ref
        phases[event.layer, event.phase].append(event)
    layers = {layer for layer, _phase in phases}
    # The engine may drop intermediate lines of a small layer, never the layer:
    # each of the three shows up and finishes both phases.
    assert len(layers) == 3
    assert set(phases) == {(layer, p) for layer in layers for p in ("downloading", "extracting")}
    for layer_events in phases.values():
        last = layer_events[-1]
        assert last.total is not None and last.done == last.total
        assert all(e.total is None or e.done <= e.total for e in layer_events)
    # And real byte counts, not only "done": the 2 MiB layer reports its size. The
    # containerd store polls its downloads every 100 ms and reports a layer done within
    # one tick as "Download complete" without counts (loopback: always), so only there
    # may a size be unknown.
    sizes = [
        evs[-1].total or 0 for (_layer, phase), evs in phases.items() if phase == "downloading"
    ]
    assert max(sizes) >= 2 << 20 or selected().containerd_store


def test_pull_of_a_missing_image_is_an_error(
    docker_client: docker.DockerClient, local_registry: LocalRegistry
) -> None:
    ref = local_registry.ref(unique_name("tuitest/absent"), "1.0.0")

    with pytest.raises(DockerError) as caught:
        RealDocker(client=docker_client).pull_image(ref, lambda _e: None, None)

    assert str(caught.value).startswith(f"pulling {ref}: ")
    assert "\n" not in str(caught.value)
