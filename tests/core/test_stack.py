"""Names for the pins that keep old images alive while a rollback may need them."""

from __future__ import annotations

import re

from tui_upgrader.core.stack import PIN_REPOSITORY, pin_ref

TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # the engine's tag grammar


def test_one_pin_per_project_and_service() -> None:
    assert pin_ref("shop", "web") == f"{PIN_REPOSITORY}:shop-web"
    assert pin_ref("shop", "web", 1) == f"{PIN_REPOSITORY}:shop-web-1"
    assert pin_ref("shop", "web") != pin_ref("shop", "worker")


def test_any_project_or_service_name_gives_a_valid_tag() -> None:
    for project, service in [("-odd", "a b/c"), ("x" * 200, "y"), ("", ""), (".", "-")]:
        repo, tag = pin_ref(project, service).split(":")
        assert repo == PIN_REPOSITORY
        assert TAG.match(tag), tag
