"""Property test of the manifest parser (#26): any JSON value, any bytes, any
mutation of a real document ends in a Manifest or a one-line ManifestError /
InputError: never another exception."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.original_corpus import CASES, json_paths
from tui_upgrader.core.errors import InputError
from tui_upgrader.core.manifest import parse_manifest, parse_manifest_bytes

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
DOCS = [c.doc for c in CASES]


def _replaced(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(doc))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copy


def _one_line(exc: InputError) -> None:
    assert "\n" not in str(exc) and len(str(exc)) < 2000


QUICK = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@QUICK
@given(JSON)
def test_any_json_value(value: Any) -> None:
    try:
        parse_manifest(value)
    except InputError as exc:
        _one_line(exc)


@QUICK
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    try:
        parse_manifest_bytes(data, "m.json")
    except InputError as exc:
        _one_line(exc)


@QUICK
@given(st.sampled_from(DOCS), st.data(), JSON)
def test_one_field_of_a_real_document_replaced(doc: Any, data: st.DataObject, new: Any) -> None:
    path = data.draw(st.sampled_from(json_paths(doc)))
    mutated = _replaced(doc, path, new)
    try:
        parse_manifest_bytes(json.dumps(mutated).encode(), "m.json")
    except InputError as exc:
        _one_line(exc)


@QUICK
@given(st.sampled_from(DOCS), st.integers(min_value=0, max_value=10**6), st.binary(max_size=8))
def test_bytes_of_a_real_document_spliced(doc: Any, where: int, junk: bytes) -> None:
    raw = json.dumps(doc).encode()
    at = where % (len(raw) + 1)
    try:
        parse_manifest_bytes(raw[:at] + junk + raw[at + len(junk) :], "m.json")
    except InputError as exc:
        _one_line(exc)


def test_huge_numbers_everywhere_name_their_path() -> None:
    for doc in DOCS:
        for path in json_paths(doc)[1:]:
            raw = json.dumps(_replaced(doc, path, 0)).replace(": 0", ": " + "7" * 4400, 1)
            try:
                parse_manifest_bytes(raw.encode(), "m.json")
            except InputError as exc:
                _one_line(exc)
