"""Fault class 6: services whose health lies or changes after the first look.

- healthy at first, then crash-looping (exits after a few seconds, restarts, turns
  healthy again): the gate must see the restarts, not one good moment;
- answering on its port with the old version (the release ships the old page, its
  healthcheck asks for the new one): unhealthy, rolled back at once;
- no healthcheck at all: crash-looping is a failure, running steadily is a success.
"""

from __future__ import annotations

import shutil

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.snapshot import Tree, tree_snapshot
from tests.faults.world import NEW, STATE_DIR
from tui_upgrader.demo import content

pytestmark = pytest.mark.engine

VERSION = "1.2.0"
HTTPD = "httpd -p 127.0.0.1:${DEMO_PORT} -h /www"  # without -f: it forks, sh goes on
CRASH_LATER = f'["sh", "-c", "{HTTPD}; sleep 3; exit 1"]'
VERSION_CHECK = '["CMD", "sh", "-c", "wget -q -O - http://127.0.0.1:${DEMO_PORT}/ | grep -q 1.2.0"]'


def _without_web_healthcheck(compose: str) -> str:
    web, rest = compose.split("  worker:", 1)
    head, _, check = web.partition("    healthcheck:\n")
    assert check.count("\n") == 4, "the demo's web healthcheck is four lines"
    return head + "  worker:" + rest


def _release(case: Case, compose: str, index_html: str | None = None) -> Tree:
    """A 1.2.0 of the world's 1.1.0 with this compose file; configures the case for it."""
    src = case.root / "src-1.2.0"
    shutil.copytree(case.world.layout.sources[NEW], src)
    (src / content.COMPOSE_FILE).write_text(compose, encoding="utf-8")
    (src / "app" / "VERSION").write_text(VERSION + "\n", encoding="utf-8")
    if index_html is not None:
        (src / "www" / "index.html").write_text(index_html, encoding="utf-8")
    store = case.root / "store"
    case.world.run_cli("release", "build", str(src), "--version", VERSION, "--out", str(store))
    case.packages += sorted(store.rglob("*.zip"))
    case.configure(str(store / "manifest.json"), health_timeout_s=20, health_settle_s=6)
    # What a committed 1.2.0 must look like: the world's 1.1.0 with these files.
    want = dict(case.world.new_tree)
    for rel in (content.COMPOSE_FILE, "app/VERSION", "www/index.html"):
        want[rel] = tree_snapshot(src)[rel]
    # The merged .env names the version that added its new keys.
    merged = case.root / "merged.env"
    reference = (case.world.root / "reference" / "deploy" / ".env").read_text(encoding="utf-8")
    merged.write_text(reference.replace("for 1.1.0.0", f"for {VERSION}.0"), encoding="utf-8")
    merged.chmod(0o600)
    want[".env"] = tree_snapshot(case.root, exclude=("deploy", "cache", "state", "logs"))[
        "merged.env"
    ]
    return want


def _compose(**kwargs: str) -> str:
    """The demo's compose text with these changes (names filled in by ``_for``)."""
    return content.compose_text(PROJECT_PLACEHOLDER, IMAGE_PLACEHOLDER, **kwargs)


PROJECT_PLACEHOLDER = "@project@"
IMAGE_PLACEHOLDER = "@image@"


def _for(case: Case, text: str) -> str:
    layout = case.world.layout
    return text.replace(PROJECT_PLACEHOLDER, layout.project).replace(
        IMAGE_PLACEHOLDER, layout.images[NEW]
    )


def _rolled_back(case: Case) -> str:
    code, events, err = case.run("upgrade", "--yes", "--json")
    result = events[-1]
    assert code == 1 and result["rolled_back"] is True, f"exit {code}: {err}\n{result}"
    assert "web" in (result["error"] or ""), result["error"]
    assert check_invariant(case) == "old"
    return str(result["error"])


def test_healthy_then_crash_looping_is_rolled_back(case: Case) -> None:
    _release(case, _for(case, _compose(web_command=CRASH_LATER)))
    _rolled_back(case)


def test_answering_with_the_old_version_is_rolled_back(case: Case) -> None:
    compose = _for(case, _compose()).replace(
        '["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${DEMO_PORT}/"]',
        VERSION_CHECK,
        1,
    )
    assert VERSION_CHECK in compose
    _release(case, compose, index_html=content.index_html("1.1.0"))
    _rolled_back(case)


def test_no_healthcheck_and_crash_looping_is_rolled_back(case: Case) -> None:
    _release(case, _without_web_healthcheck(_for(case, _compose(web_command=CRASH_LATER))))
    _rolled_back(case)


def test_no_healthcheck_and_running_steadily_is_committed(case: Case) -> None:
    want = _release(case, _without_web_healthcheck(_for(case, _compose())))
    code, events, err = case.run("upgrade", "--yes", "--json")
    assert code == 0, f"exit {code}: {err}\n{events[-1:]}"
    assert check_invariant(case, new_tree=want, new_version="1.2.0.0") == "new"
    assert not (case.deploy / STATE_DIR / "journal.json").exists()
