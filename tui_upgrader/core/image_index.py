"""The image index a release publishes beside its full package (thin image delivery).

``<version>/images-<arch>.json`` lists, per image, its config blob, its layers
(diff_id, blob digest, size) and its tags; the blobs themselves are
content-addressed files (``blobs/sha256/<hex>`` at the store's root) and the
package minus ``images/`` is ``files`` (a zip beside the index). A client that
already has some layer chains in its engine downloads only the others.

Pure: parsing (errors name the JSON path), chain IDs and the download plan.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from tui_upgrader.core import display
from tui_upgrader.core.errors import ManifestError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.strategy import Decision, Strategy

SCHEMA = 1
BLOB_DIR = "blobs/sha256"
MAX_INDEX_BYTES = 4 * 1024 * 1024
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class Blob:
    digest: str  # sha256:<hex> of the bytes as published
    size: int

    @property
    def hex(self) -> str:
        return self.digest.removeprefix("sha256:")


@dataclass(frozen=True, slots=True)
class Layer:
    diff_id: str  # sha256:<hex> of the uncompressed layer tar (what the engine keys it by)
    blob: Blob


@dataclass(frozen=True, slots=True)
class IndexImage:
    tags: tuple[str, ...]
    config: Blob  # its digest is the image ID
    layers: tuple[Layer, ...]

    @property
    def image_id(self) -> str:
        return self.config.digest

    @property
    def label(self) -> str:
        return self.tags[0] if self.tags else self.config.digest[:19]


@dataclass(frozen=True, slots=True)
class FilesPackage:
    name: str  # beside the index
    sha256: str  # bare hex
    size: int


@dataclass(frozen=True, slots=True)
class ImageIndex:
    images: tuple[IndexImage, ...]
    files: FilesPackage

    def to_json(self) -> bytes:
        doc = {
            "schema": SCHEMA,
            "blobs": f"../{BLOB_DIR}/",
            "files": {
                "name": self.files.name,
                "sha256": self.files.sha256,
                "size": self.files.size,
            },
            "images": [
                {
                    "tags": list(image.tags),
                    "config": _blob_json(image.config),
                    "layers": [
                        {"diff_id": la.diff_id, **_blob_json(la.blob)} for la in image.layers
                    ],
                }
                for image in self.images
            ],
        }
        return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _blob_json(blob: Blob) -> dict[str, Any]:
    return {"digest": blob.digest, "size": blob.size}


def chain_ids(diff_ids: Iterable[str]) -> list[str]:
    """The engine's key for each layer prefix (OCI image spec, ChainID)."""
    out: list[str] = []
    for diff_id in diff_ids:
        if not out:
            out.append(diff_id)
        else:
            parent = out[-1]
            out.append("sha256:" + hashlib.sha256(f"{parent} {diff_id}".encode()).hexdigest())
    return out


@dataclass(frozen=True, slots=True)
class ThinPlan:
    """What a thin load needs: the blobs to fetch and the layers the engine lacks."""

    index: ImageIndex
    missing: frozenset[str]  # chain IDs the engine lacks
    blobs: tuple[Blob, ...]  # to download: configs + missing layers, each once
    full_bytes: int  # the full package's size, to compare
    # An image that held each present chain at planning time: asked again before the load.
    holders: Mapping[str, str] = field(default_factory=dict)

    @property
    def thin_bytes(self) -> int:
        return self.index.files.size + sum(b.size for b in self.blobs)

    def missing_now(self, present: Set[str]) -> set[str]:
        """Chains the plan counted on the engine having that it no longer has."""
        counted = {c for im in self.index.images for c in chain_ids(la.diff_id for la in im.layers)}
        return (counted - self.missing) - set(present)

    def needs(self, image: IndexImage) -> list[bool]:
        """Per layer of ``image``: must its file be in the load archive?"""
        chains = chain_ids(la.diff_id for la in image.layers)
        return [c in self.missing for c in chains]


def plan_thin(
    index: ImageIndex, present: Mapping[str, str] | Set[str], full_bytes: int
) -> ThinPlan:
    """The blobs to fetch given the chain IDs the engine has (-> an image holding each)."""
    missing: set[str] = set()
    wanted: dict[str, Blob] = {}
    for image in index.images:
        wanted.setdefault(image.config.digest, image.config)
        chains = chain_ids(la.diff_id for la in image.layers)
        for layer, chain in zip(image.layers, chains, strict=True):
            if chain not in present:
                missing.add(chain)
                wanted.setdefault(layer.blob.digest, layer.blob)
    holders = dict(present) if isinstance(present, Mapping) else {}
    return ThinPlan(index, frozenset(missing), tuple(wanted.values()), full_bytes, holders)


# --- parsing ---------------------------------------------------------------------


def _err(path: str, problem: str) -> ManifestError:
    return ManifestError(path, problem)


def _field(obj: Any, key: str, path: str) -> Any:
    if not isinstance(obj, dict):
        raise _err(path, _("expected a JSON object"))
    if key not in obj:
        raise _err(f"{path}.{key}" if path else key, _("required field is missing"))
    return obj[key]


def _digest(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise _err(path, _("expected 'sha256:<64 lowercase hex digits>'"))
    return value


def _count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _err(path, _("expected a non-negative integer"))
    return value


def _blob(obj: Any, path: str) -> Blob:
    digest = _digest(_field(obj, "digest", path), f"{path}.digest")
    return Blob(digest, _count(_field(obj, "size", path), f"{path}.size"))


def _image(obj: Any, path: str) -> IndexImage:
    tags = _field(obj, "tags", path)
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise _err(f"{path}.tags", _("expected an array of strings"))
    layers_raw = _field(obj, "layers", path)
    if not isinstance(layers_raw, list) or not layers_raw:
        raise _err(f"{path}.layers", _("expected a non-empty array"))
    layers = tuple(
        Layer(_digest(_field(la, "diff_id", f"{path}.layers[{i}]"), f"{path}.layers[{i}].diff_id"),
              _blob(la, f"{path}.layers[{i}]"))
        for i, la in enumerate(layers_raw)
    )  # fmt: skip
    return IndexImage(tuple(tags), _blob(_field(obj, "config", path), f"{path}.config"), layers)


def parse_index(data: bytes, source: str = "image index") -> ImageIndex:
    """Validate an index; raises ManifestError naming the JSON path."""
    if len(data) > MAX_INDEX_BYTES:
        raise ManifestError(source, _("larger than {limit} bytes").format(limit=MAX_INDEX_BYTES))
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(source, _("not valid JSON: {exc}").format(exc=exc)) from None
    if _field(doc, "schema", "") != SCHEMA:
        raise _err("schema", _("unsupported schema (expected {schema})").format(schema=SCHEMA))
    if _field(doc, "blobs", "") != f"../{BLOB_DIR}/":
        raise _err("blobs", _("expected {value!r}").format(value=f"../{BLOB_DIR}/"))
    files = _field(doc, "files", "")
    name = _field(files, "name", "files")
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise _err("files.name", _("expected a plain file name"))
    sha = _digest("sha256:" + str(_field(files, "sha256", "files")), "files.sha256")
    package = FilesPackage(
        name, sha.removeprefix("sha256:"), _count(files.get("size"), "files.size")
    )
    images = _field(doc, "images", "")
    if not isinstance(images, list) or not images:
        raise _err("images", _("expected a non-empty array"))
    return ImageIndex(tuple(_image(im, f"images[{i}]") for i, im in enumerate(images)), package)


@dataclass(frozen=True, slots=True)
class ThinEstimate:
    """What ``check --json`` and the screens show; ``plan`` None = the full package."""

    full_bytes: int | None
    plan: ThinPlan | None
    reason: str

    @property
    def download_bytes(self) -> int | None:
        return self.plan.thin_bytes if self.plan is not None else self.full_bytes

    def describe(self) -> str:
        """One line: what will be downloaded and why (check, manifest and strategy screens)."""
        if self.plan is None:
            return _("{full}, the full package ({reason})").format(
                full=display.size(self.full_bytes), reason=self.reason
            )
        return _("{thin} thin instead of {full} full ({reason})").format(
            thin=display.size(self.plan.thin_bytes),
            full=display.size(self.full_bytes),
            reason=self.reason,
        )

    def to_json(self) -> dict[str, object]:
        return {
            "mode": "thin" if self.plan is not None else "full",
            "thin_bytes": self.plan.thin_bytes if self.plan is not None else None,
            "full_bytes": self.full_bytes,
            "download_bytes": self.download_bytes,
            "reason": self.reason,
        }


def static_reason(decision: Decision) -> str | None:
    """Why the full package is used, when the decision alone says so (no engine asked)."""
    package = decision.package
    if decision.strategy is not Strategy.FULL or package is None:
        return _("not a full upgrade")
    if package.images is None:
        return _("the release publishes no image index")
    if package.images.sha256 is None:
        # The blobs are only as trustworthy as the index that names their hashes.
        return _("the image index has no hash")
    return None
