"""Manifest factories shaped like the original server's documents."""

from __future__ import annotations

import copy
from typing import Any

HASH_A = "a" * 64
HASH_B = "b" * 64
HASH_C = "c" * 64


def enhanced(version: str = "0.0.13.2", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": version,
        "release_date": "2025-09-01T08:00:00Z",
        "release_notes": "Fix login timeout; new plugin pack",
        "packages": {
            "full": {
                "url": "https://cdn.example.org/svc/docker.zip",
                "hash": "external",
                "signature": "",
                "size": 0,
            },
            "patch": None,
        },
        "platforms": {
            "x86_64": {
                "url": "https://cdn.example.org/svc/docker-x86_64.zip",
                "signature": "c2ln",
                "hash": f"sha256:{HASH_A}",
                "size": 1234,
            },
            "aarch64": {
                "url": "https://cdn.example.org/svc/docker-aarch64.zip",
                "signature": "c2ln",
            },
        },
        "patch": {
            "x86_64": {
                "url": "https://cdn.example.org/svc/x86_64-patch.zip",
                "hash": f"sha256:{HASH_B}",
                "signature": "c2lnbmF0dXJl",
                "operations": {
                    "replace": {
                        "files": ["app/app.jar", "config/application.yml"],
                        "directories": ["front/"],
                    },
                    "delete": {"files": ["app/legacy.jar"], "directories": ["plugins/old/"]},
                },
                "notes": "patch layout mirrors docker.zip",
                "version": "0.0.13.2",
            },
        },
    }
    doc.update(changes)
    return doc


def legacy(version: str = "0.0.13.2") -> dict[str, Any]:
    doc = enhanced(version)
    del doc["platforms"]
    del doc["patch"]
    doc["packages"]["full"]["hash"] = HASH_C
    return doc


def without(doc: dict[str, Any], *path: str | int) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out


def with_value(doc: dict[str, Any], value: Any, *path: str | int) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    target: Any = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out
