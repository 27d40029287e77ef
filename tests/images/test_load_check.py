"""A load counts only when the engine really has every image with its layers (both stores)."""

from __future__ import annotations

import json
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docker
import pytest

from tests.support.engine import ImageFactory, remove_image_quietly, save_image_tar, unique_name
from tests.support.engines import selected
from tests.support.images import busybox_image, write_image_tar
from tui_upgrader.core.errors import DockerError
from tui_upgrader.ops.images._internal.tar_layout import index_image_tar
from tui_upgrader.ops.images.engine import image_id
from tui_upgrader.ops.images.load import load_image_tar
from tui_upgrader.ops.images.load_check import verify_loaded


def _thin_copy(saved: Path, thin: Path) -> None:
    """``saved`` without its last layer; OCI-only when the engine wrote an OCI layout,
    so the containerd store imports it first and fails only when it unpacks."""
    with tarfile.open(saved) as src:
        names = set(src.getnames())
        manifest_file = src.extractfile("manifest.json")
        assert manifest_file is not None
        drop = {json.load(manifest_file)[0]["Layers"][-1]}
        if "index.json" in names:
            drop.add("manifest.json")
        with tarfile.open(thin, "w") as out:
            for member in src.getmembers():
                if member.name not in drop:
                    out.addfile(member, src.extractfile(member) if member.isfile() else None)


@pytest.mark.engine
@pytest.mark.compat
def test_a_load_missing_a_layer_fails_and_the_check_sees_it(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('tuitest/check')}:1.0.0"
    image_factory.track(ref)
    full = tmp_path / "full.tar"
    write_image_tar(full, [busybox_image([ref], layers=3, unique_layers=True)])
    entries = index_image_tar(full).entries
    load_image_tar(docker_client, full, lambda _e: None)
    verify_loaded(docker_client, entries, ())  # the real thing passes
    save_image_tar(docker_client, ref, tmp_path / "saved.tar")
    remove_image_quietly(docker_client, ref)
    _thin_copy(tmp_path / "saved.tar", tmp_path / "thin.tar")

    with pytest.raises(DockerError):
        load_image_tar(docker_client, tmp_path / "thin.tar", lambda _e: None)

    # What the engine kept is not the image: on the containerd store it is still
    # inspectable (layers listed from its config) but unlisted and unusable, as
    # after a Docker 29 load that printed "Error unpacking image" and exited 0.
    kept = "does not list" if selected().containerd_store else "no image"
    with pytest.raises(DockerError, match=kept):
        verify_loaded(docker_client, entries, ())


@pytest.mark.engine
@pytest.mark.compat
def test_a_name_holding_other_layers_is_not_the_loaded_image(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('tuitest/check')}:1.0.0"
    image_factory.track(ref)
    archive = tmp_path / "app.tar"
    write_image_tar(archive, [busybox_image([ref], layers=3)])
    entries = index_image_tar(archive).entries
    other = image_factory(layers=1)
    repo, tag = ref.rsplit(":", 1)
    assert docker_client.api.tag(other.ref, repo, tag)

    with pytest.raises(DockerError, match="has 1 layer"):
        verify_loaded(docker_client, entries, ())

    load_image_tar(docker_client, archive, lambda _e: None)
    assert image_id(docker_client, ref) != other.image_id


class _Docker29Load(BaseHTTPRequestHandler):
    """/images/load as Docker 29 answers when the unpack fails: 200, no error event."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        else:  # chunked upload: drain it
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                self.rfile.read(size + 2)
            self.rfile.readline()
        body = b"".join(
            json.dumps({"stream": s}).encode() + b"\r\n"
            for s in (
                "Loaded image: tuitest/fake:1.0.0\n",
                "Error unpacking image tuitest/fake:1.0.0: failed to extract layer: not found\n",
            )
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def fake_docker29() -> Iterator[docker.DockerClient]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Docker29Load)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = docker.DockerClient(base_url=f"tcp://127.0.0.1:{server.server_port}", version="1.52")
    try:
        yield client
    finally:
        client.close()
        server.shutdown()
        thread.join(timeout=10)


def test_an_unpack_error_line_fails_the_load_even_with_status_200(
    fake_docker29: docker.DockerClient, tmp_path: Path
) -> None:
    archive = tmp_path / "app.tar"
    write_image_tar(archive, [busybox_image(["tuitest/fake:1.0.0"])])

    with pytest.raises(DockerError, match=r"Error unpacking image tuitest/fake:1\.0\.0"):
        load_image_tar(fake_docker29, archive, lambda _e: None)
