"""Release manifest: the original server's JSON, legacy and enhanced forms.

The enhanced form is recognised by ``platforms`` *or* ``patch`` (the original
client looked for ``platforms`` only and silently dropped a lone ``patch``).
Every validation error names the JSON path of the offending value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tui_upgrader.core.arch import Arch, alias_list, arch_for_name
from tui_upgrader.core.errors import ManifestError, VersionError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import normalise_operation_path
from tui_upgrader.core.text import shorten
from tui_upgrader.core.versions import Version

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_DEPTH = 32

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True, slots=True)
class PackageInfo:
    url: str
    sha256: str | None  # lowercase hex; None = unverifiable (absent, "external", not a digest)
    signature: str = ""
    size: int | None = None  # None = unknown (the original used 0 for that)
    # Why sha256 is None, for the warning: "<json path> = <value>" (or "is missing").
    hash_note: str = ""
    # Platform entries only: the image index for thin delivery (core.image_index).
    images: PackageInfo | None = None


@dataclass(frozen=True, slots=True)
class PatchOperations:
    replace_files: tuple[str, ...] = ()
    replace_dirs: tuple[str, ...] = ()
    delete_files: tuple[str, ...] = ()
    delete_dirs: tuple[str, ...] = ()

    @property
    def replaced(self) -> tuple[str, ...]:
        return self.replace_files + self.replace_dirs

    @property
    def deleted(self) -> tuple[str, ...]:
        """Delete targets, minus anything also replaced: replace wins (the original deleted it)."""
        keep = set(self.replaced)
        return tuple(p for p in self.delete_files + self.delete_dirs if p not in keep)

    @property
    def total(self) -> int:
        return len(self.replaced) + len(self.deleted)


@dataclass(frozen=True, slots=True)
class PatchPackage:
    url: str
    sha256: str | None
    signature: str
    operations: PatchOperations
    notes: str = ""
    size: int | None = None
    hash_note: str = ""


@dataclass(frozen=True, slots=True)
class Manifest:
    version: Version
    release_date: datetime
    release_notes: str
    full: PackageInfo | None  # packages.full: the generic package
    platforms: Mapping[Arch, PackageInfo] | None
    patch: Mapping[Arch, PatchPackage] | None
    min_version: Version | None = None
    enhanced: bool = False


# --- low-level readers -------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(path or "manifest", _("expected a JSON object"))
    return value


def _required(obj: dict[str, Any], key: str, path: str) -> Any:
    if key not in obj or obj[key] is None:
        raise ManifestError(_join(path, key), _("required field is missing"))
    return obj[key]


def _str(value: Any, path: str, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str) or isinstance(value, HugeNumber):
        raise ManifestError(path, _("expected a string, got {kind}").format(kind=_kind(value)))
    if not allow_empty and not value.strip():
        raise ManifestError(path, _("must not be empty"))
    return value


class HugeNumber(str):
    """A JSON integer too long to be any sane value: kept as its digits, so the
    field that holds it can say so with its path (int() would raise at 4,300)."""

    __slots__ = ()


# Any count, size or id fits in far fewer digits; a u64 has 20.
_MAX_INT_DIGITS = 40


def _parse_int(digits: str) -> int | HugeNumber:
    if len(digits.lstrip("-")) > _MAX_INT_DIGITS:
        return HugeNumber(digits)
    return int(digits)


def _kind(value: Any) -> str:
    if isinstance(value, HugeNumber):
        return _("a number of {count} digits").format(count=len(value))
    return {dict: "object", list: "array", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _url(value: Any, path: str) -> str:
    url = _str(value, path, allow_empty=False).strip()
    if not (url.startswith(("http://", "https://")) or url.startswith("/")):
        raise ManifestError(
            path,
            _("URL must start with http://, https:// or /, got {url!r}").format(
                url=shorten(url, 80)
            ),
        )
    if "\x00" in url:
        raise ManifestError(path, _("URL contains a NUL byte"))
    try:
        urlsplit(url).port  # noqa: B018 - parsing is the check: port 99999, "[::1" ...
    except ValueError as exc:
        raise ManifestError(path, _("not a valid URL ({exc})").format(exc=exc)) from None
    return url


def _hash(value: Any, path: str) -> tuple[str | None, str]:
    """The digest, or None with a note saying why (for the unverifiable warning).

    Anything that is not a digest (``"sha256:abc123"``, ``""``, a placeholder
    such as ``"sha256:patch_hash_x86_64"``) is what the original publisher
    really writes: it makes the package unverifiable, never the manifest
    invalid, so a bad value on a package that is not chosen changes nothing.
    """
    if value is None:
        return None, _("{path} is missing").format(path=path)
    text = _str(value, path).strip()
    digest = text[7:] if text.lower().startswith("sha256:") else text
    if _HEX64.fullmatch(digest):
        return digest.lower(), ""
    if not text:
        return None, _("{path} is empty").format(path=path)
    return None, f"{path} = {shorten(repr(text), 80)}"


# Sizes beyond this are no real package (the original's field is a u64).
MAX_SIZE = 2**63 - 1


def _size(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, HugeNumber) or (isinstance(value, int) and value > MAX_SIZE):
        raise ManifestError(path, _("out of range (at most {limit})").format(limit=MAX_SIZE))
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ManifestError(path, _("expected a non-negative integer"))
    return value or None


def _version(value: Any, path: str) -> Version:
    try:
        return Version.parse(value)
    except VersionError as exc:
        raise ManifestError(path, exc.message) from None


def _release_date(value: Any, path: str) -> datetime:
    text = _str(value, path)
    if not _RFC3339.fullmatch(text):
        raise ManifestError(
            path, _("expected an RFC 3339 date-time, got {text!r}").format(text=text)
        )
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError as exc:
        raise ManifestError(
            path, _("invalid date-time {text!r}: {exc}").format(text=text, exc=exc)
        ) from None


# --- sections --------------------------------------------------------------------


def _optional_str(obj: dict[str, Any], key: str, path: str) -> str:
    """An optional string: absent and ``null`` (how the original's serializer
    writes "none") both mean empty."""
    value = obj.get(key)
    return "" if value is None else _str(value, _join(path, key))


def _package(value: Any, path: str, *, images: bool = False) -> PackageInfo:
    obj = _obj(value, path)
    sha256, note = _hash(obj.get("hash"), _join(path, "hash"))
    index = None
    if images and obj.get("images") is not None:
        index = _package(obj["images"], _join(path, "images"))
    return PackageInfo(
        url=_url(_required(obj, "url", path), _join(path, "url")),
        sha256=sha256,
        signature=_optional_str(obj, "signature", path),
        size=_size(obj.get("size"), _join(path, "size")),
        hash_note=note,
        images=index,
    )


def _path_list(obj: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    here = _join(path, key)
    if not isinstance(value, list):
        raise ManifestError(here, _("expected an array, got {kind}").format(kind=_kind(value)))
    out: list[str] = []
    for index, item in enumerate(value):
        item_path = _join(here, index)
        try:
            normalised = normalise_operation_path(_str(item, item_path))
        except ValueError as exc:
            raise ManifestError(item_path, str(exc)) from None
        _check_path_length(normalised, item_path)
        out.append(normalised)
    return tuple(out)


# Linux's NAME_MAX and PATH_MAX: a longer operation path could only fail later,
# in the filesystem, with ENAMETOOLONG.
_NAME_MAX, _PATH_MAX = 255, 4096


def _check_path_length(path: str, where: str) -> None:
    raw = path.encode("utf-8", "surrogateescape")
    if len(raw) > _PATH_MAX or any(len(part) > _NAME_MAX for part in raw.split(b"/")):
        raise ManifestError(
            where,
            _("path too long (at most {name_max} bytes a name, {path_max} in all)").format(
                name_max=_NAME_MAX, path_max=_PATH_MAX
            ),
        )


def _operations(value: Any, path: str) -> PatchOperations:
    obj = _obj(value, path)
    parts: dict[str, tuple[str, ...]] = {}
    for section in ("replace", "delete"):
        parts[f"{section}_files"] = parts[f"{section}_dirs"] = ()
        if obj.get(section) is None:
            continue
        sec_path = _join(path, section)
        sec = _obj(obj[section], sec_path)
        parts[f"{section}_files"] = _path_list(sec, "files", sec_path)
        parts[f"{section}_dirs"] = _path_list(sec, "directories", sec_path)
    _refuse_nesting(parts, path)
    return PatchOperations(**parts)


def _refuse_nesting(parts: dict[str, tuple[str, ...]], path: str) -> None:
    """A path inside another listed path has no safe meaning: which wins, in what order?

    (``replace app/app.jar`` plus ``replace app`` once made the apply delete
    the new jar.) The same path in replace and delete is allowed: replace wins.
    """
    listed = [
        (p, f"{_join(_join(path, section), key)}[{i}]")
        for section in ("replace", "delete")
        for key, field in (("files", "files"), ("directories", "dirs"))
        for i, p in enumerate(parts[f"{section}_{field}"])
    ]
    for inner, where in listed:
        for outer, outer_where in listed:
            if inner.startswith(outer + "/"):
                raise ManifestError(
                    where,
                    _("{inner!r} lies inside {outer!r} ({outer_where})").format(
                        inner=inner, outer=outer, outer_where=outer_where
                    ),
                )


def _per_arch(value: Any, path: str) -> dict[Arch, tuple[str, dict[str, Any]]]:
    """Entries keyed by any alias (``amd64`` = ``x86_64``), with each one's JSON path.

    Keys naming no architecture we ship for are ignored, as the original did.
    """
    obj = _obj(value, path)
    found: dict[Arch, tuple[str, dict[str, Any]]] = {}
    for key, entry in obj.items():
        arch = arch_for_name(key)
        if arch is None or entry is None:
            continue
        here = _join(path, key)
        if arch in found:
            raise ManifestError(
                here,
                _("names {value} again (already {found})").format(
                    value=arch.value, found=found[arch][0]
                ),
            )
        found[arch] = (here, _obj(entry, here))
    if not found:
        raise ManifestError(
            path,
            _("must name at least one architecture ({alias_list})").format(alias_list=alias_list()),
        )
    return found


def _patch(value: Any, path: str) -> PatchPackage:
    obj = _obj(value, path)
    sha256, note = _hash(obj.get("hash"), _join(path, "hash"))
    return PatchPackage(
        url=_url(_required(obj, "url", path), _join(path, "url")),
        sha256=sha256,
        signature=_optional_str(obj, "signature", path),
        operations=_operations(_required(obj, "operations", path), _join(path, "operations")),
        notes=_optional_str(obj, "notes", path),
        size=_size(obj.get("size"), _join(path, "size")),
        hash_note=note,
    )


# --- entry points ---------------------------------------------------------------


def parse_manifest(value: Any) -> Manifest:
    """Validate a decoded JSON document; raises ManifestError naming the JSON path."""
    root = _obj(value, "")
    enhanced = root.get("platforms") is not None or root.get("patch") is not None
    version = _version(_required(root, "version", ""), "version")
    release_date = _release_date(_required(root, "release_date", ""), "release_date")
    notes = _str(_required(root, "release_notes", ""), "release_notes")
    full: PackageInfo | None = None
    if root.get("packages") is not None or not enhanced:
        packages = _obj(_required(root, "packages", ""), "packages")
        # A missing hash means unverifiable, like "external": refused later
        # unless allow_unverified, not a malformed manifest.
        full = _package(_required(packages, "full", "packages"), "packages.full")
    platforms = None
    if root.get("platforms") is not None:
        platforms = {
            arch: _package(obj, here, images=True)
            for arch, (here, obj) in _per_arch(root["platforms"], "platforms").items()
        }
    patch = None
    if root.get("patch") is not None:
        patch = {
            arch: _patch(obj, here)
            for arch, (here, obj) in _per_arch(root["patch"], "patch").items()
        }
    min_version = None
    if root.get("min_version") is not None:
        min_version = _version(root["min_version"], "min_version")
    return Manifest(
        version=version,
        release_date=release_date,
        release_notes=notes,
        full=full,
        platforms=platforms,
        patch=patch,
        min_version=min_version,
        enhanced=enhanced,
    )


def _check_depth(data: bytes, source: str) -> None:
    # Checked on the raw text before json.loads so a hostile document cannot
    # make the decoder recurse; brackets inside strings are skipped.
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            if depth > MAX_DEPTH:
                raise ManifestError(
                    source, _("nested deeper than {limit} levels").format(limit=MAX_DEPTH)
                )
        elif byte in (0x7D, 0x5D):
            depth -= 1


def _no_constant(name: str) -> Any:
    raise ValueError(_("{name} is not a JSON number").format(name=name))


def parse_manifest_bytes(data: bytes, source: str = "manifest") -> Manifest:
    """Size and depth limits, JSON decoding with line/column, then validation."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            source,
            _("larger than {limit} bytes ({size} bytes)").format(
                limit=MAX_MANIFEST_BYTES, size=len(data)
            ),
        )
    _check_depth(data, source)
    try:
        value = json.loads(data.decode("utf-8"), parse_int=_parse_int, parse_constant=_no_constant)
    except UnicodeDecodeError as exc:
        raise ManifestError(
            source, _("not UTF-8 text (byte {start})").format(start=exc.start)
        ) from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            source,
            _("invalid JSON at line {lineno} column {colno}: {msg}").format(
                lineno=exc.lineno, colno=exc.colno, msg=exc.msg
            ),
        ) from None
    except (ValueError, RecursionError) as exc:  # NaN/Infinity; any decoder limit
        raise ManifestError(source, _("invalid JSON: {exc}").format(exc=exc)) from None
    return parse_manifest(value)
