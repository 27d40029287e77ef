# ruff: noqa: E501  (a table of cases reads best one per line)
"""Manifests in every shape the original publisher's server, docs and tests produce.

Written from ``shared/reference/original-client.md`` sections 1-3 (our own
values). Each case carries the decision the original client makes: strategy,
package URL and comparison. ``DIFFERENT`` marks the deliberate differences
the README lists, with the original's outcome in the comment.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

CDN = "https://cdn.example.org/svc"
REAL_HASH = "sha256:" + "d" * 64


def _ops(replace: list[str], delete: list[str]) -> dict[str, Any]:
    return {
        "replace": {"files": replace, "directories": ["front/"]},
        "delete": {"files": delete, "directories": []},
    }


LEGACY: dict[str, Any] = {
    "version": "0.0.13",
    "release_date": "2025-07-01T00:00:00Z",
    "release_notes": "legacy shape",
    "packages": {
        "full": {"url": f"{CDN}/docker.zip", "hash": "external", "signature": "", "size": 0},
        "patch": None,
    },
}

# The docs' example (section 1c) with its placeholder digests as written there.
ENHANCED_DOC: dict[str, Any] = {
    "version": "1.4.2.3",
    "release_date": "2025-09-01T08:00:00Z",
    "release_notes": "Fix login timeout; new plugin pack",
    "packages": {
        "full": {"url": f"{CDN}/1.4.2/docker.zip", "hash": "external", "signature": "", "size": 0},
        "patch": None,
    },
    "platforms": {
        "x86_64": {"url": f"{CDN}/1.4.2/docker-x86_64.zip", "signature": "c2ln"},
        "aarch64": {"url": f"{CDN}/1.4.2/docker-aarch64.zip", "signature": "c2ln"},
    },
    "patch": {
        "x86_64": {
            "url": f"{CDN}/1.4.2.3/x86_64-patch.zip",
            "hash": "sha256:3b7e0c5d9a1f...e4",
            "signature": "c2lnbmF0dXJl",
            "operations": _ops(["app/app.jar", "config/application.yml"], ["app/legacy.jar"]),
            "notes": "patch layout mirrors docker.zip",
        },
        "aarch64": {
            "url": f"{CDN}/1.4.2.3/aarch64-patch.zip",
            "hash": "sha256:9f00a1...7c",
            "operations": {"replace": {"files": ["app/app.jar"], "directories": []}},
        },
    },
}

# The test fixture's shape: 0.0.13.2, placeholder hashes, a `version` key in patch.
FIXTURE: dict[str, Any] = {
    "version": "0.0.13.2",
    "release_date": "2025-07-05T12:00:00Z",
    "release_notes": "fixture",
    "packages": {
        "full": {"url": f"{CDN}/docker.zip", "hash": "external", "signature": "", "size": 0}
    },
    "platforms": {
        "x86_64": {"url": f"{CDN}/docker-x86_64.zip", "signature": ""},
        "aarch64": {"url": f"{CDN}/docker-aarch64.zip", "signature": ""},
    },
    "patch": {
        "x86_64": {
            "version": "0.0.13.2",
            "url": f"{CDN}/patch-x86_64.zip",
            "hash": "sha256:patch_hash_x86_64",
            "signature": "",
            "operations": _ops(["app/app.jar", "old.jar"], ["old.jar", "tmp.txt"]),
        },
        "aarch64": {
            "version": "0.0.13.2",
            "url": f"{CDN}/patch-aarch64.zip",
            "hash": "sha256:abc123",
            "operations": _ops(["app/app.jar", "x.yml"], ["old.jar", "y.txt"]),
            "notes": "aarch64 notes",
        },
    },
}

# What the serializer writes for "none": null on every optional field.
NULLS: dict[str, Any] = {
    "version": "v0.0.14",
    "release_date": "2025-08-01T00:00:00+08:00",
    "release_notes": "",
    "packages": {
        "full": {"url": f"{CDN}/docker.zip", "hash": None, "signature": None, "size": None},
        "patch": None,
    },
    "platforms": {
        "x86_64": {"url": f"{CDN}/docker-x86_64.zip", "signature": None},
        "aarch64": None,
    },
    "patch": {
        "x86_64": {
            "url": f"{CDN}/patch.zip",
            "hash": None,
            "signature": None,
            "notes": None,
            "operations": {
                "replace": {"files": ["app/app.jar"], "directories": None},
                "delete": None,
            },
        }
    },
}

# A published release file: date-stamped URLs, "external" everywhere, a real patch digest.
PUBLISHED: dict[str, Any] = {
    "version": "0.0.21.3",
    "release_date": "2025-10-28T09:30:00Z",
    "release_notes": "release 20251028",
    "packages": {
        "full": {
            "url": f"{CDN}/20251028/docker.zip",
            "hash": "external",
            "signature": "",
            "size": 0,
        }
    },
    "platforms": {
        "x86_64": {"url": f"{CDN}/20251028/docker-x86_64.zip", "signature": "", "hash": "external"},
        "aarch64": {"url": f"{CDN}/20251028/docker-aarch64.zip", "signature": ""},
    },
    "patch": {
        "x86_64": {
            "url": f"{CDN}/20251028/patch-0.0.21.3-x86_64.zip",
            "hash": REAL_HASH,
            "signature": "",
            "operations": _ops(["app/app.jar"], []),
        },
        "aarch64": {
            "url": f"{CDN}/20251028/patch-0.0.21.3-aarch64.zip",
            "hash": "sha256:patch_hash_aarch64",
            "signature": "",
            "operations": _ops(["app/app.jar"], []),
        },
    },
}

# Patch and packages, no platforms (the original drops the patch: DIFFERENT).
PATCH_ONLY: dict[str, Any] = {
    "version": "0.0.13.4",
    "release_date": "2025-07-06T00:00:00Z",
    "release_notes": "patch only",
    "packages": {"full": {"url": f"{CDN}/docker.zip", "hash": "", "signature": "", "size": 0}},
    "patch": {
        "x86_64": {
            "url": f"{CDN}/patch-x86_64.zip",
            "hash": "sha256:",
            "operations": _ops(["app/app.jar"], []),
        }
    },
}

# Platforms only (no generic package): the x86_64 host's package only.
X86_ONLY: dict[str, Any] = {
    "version": "0.0.15",
    "release_date": "2025-07-09T00:00:00Z",
    "release_notes": "x86 only",
    "platforms": {"amd64": {"url": f"{CDN}/docker-x86_64.zip", "signature": ""}},
}


@dataclass(frozen=True)
class Case:
    name: str
    doc: dict[str, Any]
    current: str | None
    arch: str
    strategy: str
    url: str | None
    comparison: str
    different: str = ""  # why we decide otherwise than the original (README lists it)


CASES = [
    Case("legacy-older", LEGACY, "0.0.12", "x86_64", "full", f"{CDN}/docker.zip", "full_upgrade_required"),
    Case("legacy-equal", LEGACY, "0.0.13", "aarch64", "none", None, "equal"),
    Case("legacy-riscv", LEGACY, "0.0.12", "riscv64", "full", f"{CDN}/docker.zip", "full_upgrade_required"),
    Case("legacy-first-install", LEGACY, None, "x86_64", "full", f"{CDN}/docker.zip", "full_upgrade_required"),
    Case("doc-patch-x86", ENHANCED_DOC, "1.4.2.1", "x86_64", "patch", f"{CDN}/1.4.2.3/x86_64-patch.zip", "patch_upgradeable"),
    Case("doc-patch-arm", ENHANCED_DOC, "1.4.2", "aarch64", "patch", f"{CDN}/1.4.2.3/aarch64-patch.zip", "patch_upgradeable"),
    Case("doc-full-arm", ENHANCED_DOC, "1.4.1", "aarch64", "full", f"{CDN}/1.4.2/docker-aarch64.zip", "full_upgrade_required"),
    Case("doc-newer", ENHANCED_DOC, "1.5.0", "x86_64", "none", None, "newer"),
    Case("fixture-equal", FIXTURE, "0.0.13.2", "x86_64", "none", None, "equal"),
    Case("fixture-newer-build", FIXTURE, "0.0.13.4", "x86_64", "none", None, "newer"),
    Case("fixture-full", FIXTURE, "0.0.12", "aarch64", "full", f"{CDN}/docker-aarch64.zip", "full_upgrade_required"),
    Case("fixture-full-x86", FIXTURE, "0.0.12", "x86_64", "full", f"{CDN}/docker-x86_64.zip", "full_upgrade_required"),
    Case("fixture-patch", FIXTURE, "0.0.13", "x86_64", "patch", f"{CDN}/patch-x86_64.zip", "patch_upgradeable"),
    Case("fixture-patch-arm", FIXTURE, "0.0.13", "arm64", "patch", f"{CDN}/patch-aarch64.zip", "patch_upgradeable"),
    Case("fixture-riscv-equal", FIXTURE, "0.0.13.2", "riscv64", "none", None, "equal"),
    Case("nulls-full", NULLS, "0.0.13", "x86_64", "full", f"{CDN}/docker-x86_64.zip", "full_upgrade_required"),
    Case("nulls-patch", NULLS, "0.0.14.0", "x86_64", "none", None, "equal"),
    Case("published-patch", PUBLISHED, "0.0.21.1", "x86_64", "patch", f"{CDN}/20251028/patch-0.0.21.3-x86_64.zip", "patch_upgradeable"),
    Case("published-patch-arm", PUBLISHED, "0.0.21", "aarch64", "patch", f"{CDN}/20251028/patch-0.0.21.3-aarch64.zip", "patch_upgradeable"),
    Case("published-full", PUBLISHED, "0.0.20.9", "x86_64", "full", f"{CDN}/20251028/docker-x86_64.zip", "full_upgrade_required"),
    Case("published-first", PUBLISHED, None, "aarch64", "full", f"{CDN}/20251028/docker-aarch64.zip", "full_upgrade_required"),
    Case("x86-only-full", X86_ONLY, "0.0.14", "x86_64", "full", f"{CDN}/docker-x86_64.zip", "full_upgrade_required"),
    Case("x86-only-equal-arm", X86_ONLY, "0.0.15", "aarch64", "none", None, "equal"),
    Case("patch-only-full", PATCH_ONLY, "0.0.12", "x86_64", "full", f"{CDN}/docker.zip", "full_upgrade_required"),
    Case(
        "patch-only-patch", PATCH_ONLY, "0.0.13.1", "x86_64", "patch", f"{CDN}/patch-x86_64.zip", "patch_upgradeable",
        different="the original ignores `patch` without `platforms` (full, docker.zip); we use it",
    ),
    Case(
        "platforms-missing-arch", NULLS, "0.0.13", "aarch64", "full", f"{CDN}/docker.zip", "full_upgrade_required",
        different="the original errors when platforms lacks the arch; we use packages.full and check its images' architecture before the stop",
    ),
]  # fmt: skip


def doc_of(case: Case) -> dict[str, Any]:
    return copy.deepcopy(case.doc)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value, the root ``()`` first: for mutation tests."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += json_paths(item, (*prefix, index))
    return out
