"""Which images a compose file names: through the compose CLI, or a plain scan without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.release_trees import write_tree
from tui_upgrader.core.errors import InputError
from tui_upgrader.ops.release._internal.images import compose_images, image_file_name

COMPOSE = """\
name: reltest
services:
  web:
    image: "acme/web:${TAG}"
  worker:
    image: acme/worker:2.0   # comment
  db:
    image: 'postgres:16'
  again:
    image: acme/worker:2.0
"""


def test_file_names_are_safe_and_carry_the_arch() -> None:
    assert image_file_name("registry:5000/acme/web:1.2", "arm64") == (
        "registry_5000_acme_web_1.2-arm64.tar"
    )


def test_scan_without_compose_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    plain = write_tree(tmp_path / "plain", {"compose.yaml": COMPOSE.replace("${TAG}", "1.0")})
    assert compose_images(plain / "compose.yaml") == [
        "acme/web:1.0",
        "acme/worker:2.0",
        "postgres:16",
    ]

    src = write_tree(tmp_path / "src", {"compose.yaml": COMPOSE, ".env": "TAG=1.0\n"})
    with pytest.raises(InputError, match=r"acme/web:\$\{TAG\} needs \.env interpolation"):
        compose_images(src / "compose.yaml")


@pytest.mark.engine
def test_compose_cli_interpolates_env(tmp_path: Path, compose_cli: list[str]) -> None:
    src = write_tree(tmp_path / "src", {"compose.yaml": COMPOSE, ".env": "TAG=3.1\n"})

    assert compose_images(src / "compose.yaml") == [
        "acme/web:3.1",
        "acme/worker:2.0",
        "postgres:16",
    ]


@pytest.mark.engine
def test_compose_cli_error_is_one_line(tmp_path: Path, compose_cli: list[str]) -> None:
    src = write_tree(tmp_path / "src", {"compose.yaml": "services: [not, a, map]\n"})

    with pytest.raises(InputError, match="compose cannot read it") as caught:
        compose_images(src / "compose.yaml")
    assert "\n" not in str(caught.value)
