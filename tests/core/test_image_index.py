"""The image index of thin delivery (#23): parsing, chain IDs, the download plan."""

from __future__ import annotations

import hashlib
import json

import pytest

from tui_upgrader.core.errors import ManifestError
from tui_upgrader.core.image_index import (
    Blob,
    FilesPackage,
    ImageIndex,
    IndexImage,
    Layer,
    chain_ids,
    parse_index,
    plan_thin,
)


def _d(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _index() -> ImageIndex:
    base = Layer(_d("base"), Blob(_d("base-blob"), 1000))
    app1 = Layer(_d("app1"), Blob(_d("app1-blob"), 10))
    app2 = Layer(_d("app2"), Blob(_d("app2-blob"), 20))
    images = (
        IndexImage(("svc/web:2",), Blob(_d("cfg-web"), 5), (base, app1)),
        IndexImage(("svc/worker:2",), Blob(_d("cfg-worker"), 6), (base, app2)),
    )
    return ImageIndex(images, FilesPackage("docker-x86_64-files.zip", "a" * 64, 100))


def test_chain_ids_follow_the_oci_rule() -> None:
    a, b = _d("a"), _d("b")
    expected = "sha256:" + hashlib.sha256(f"{a} {b}".encode()).hexdigest()
    assert chain_ids([a, b]) == [a, expected]
    assert chain_ids([]) == []


def test_round_trip_and_plan() -> None:
    index = _index()
    parsed = parse_index(index.to_json())
    assert parsed == index
    base_chain = chain_ids([_d("base")])[0]

    plan = plan_thin(parsed, {base_chain}, full_bytes=5000)

    assert [b.digest for b in plan.blobs] == [
        _d("cfg-web"),
        _d("app1-blob"),
        _d("cfg-worker"),
        _d("app2-blob"),
    ]
    assert plan.thin_bytes == 100 + 5 + 10 + 6 + 20
    assert plan.needs(parsed.images[0]) == [False, True]
    assert plan.missing_now({base_chain}) == set()
    assert plan.missing_now(set()) == {base_chain}


def test_nothing_present_means_every_layer_once() -> None:
    plan = plan_thin(_index(), set(), full_bytes=5000)
    assert sum(b.size for b in plan.blobs) == 5 + 1000 + 10 + 6 + 20  # the base blob once


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(schema=2), "schema"),
        (lambda d: d.update(blobs="/etc/"), "blobs"),
        (lambda d: d["files"].update(name="../x.zip"), "files.name"),
        (
            lambda d: d["images"][1]["layers"][0].update(digest="md5:1"),
            "images[1].layers[0].digest",
        ),
        (lambda d: d["images"][0]["config"].update(size=-1), "images[0].config.size"),
        (lambda d: d["images"][0].update(layers=[]), "images[0].layers"),
        (lambda d: d["images"][0]["layers"][1].pop("diff_id"), "images[0].layers[1].diff_id"),
    ],
)
def test_bad_indexes_name_the_json_path(change, path: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(_index().to_json())
    change(doc)
    with pytest.raises(ManifestError) as caught:
        parse_index(json.dumps(doc).encode())
    assert caught.value.json_path == path


def test_not_json_is_one_clear_error() -> None:
    with pytest.raises(ManifestError, match="not valid JSON"):
        parse_index(b"{", "1.1.0/images-x86_64.json")
