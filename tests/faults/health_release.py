"""A 1.2.0 release of a fault world's 1.1.0 with a changed compose file (health faults)."""

from __future__ import annotations

import shutil

from tests.faults.case import Case
from tests.faults.snapshot import Tree, tree_snapshot
from tests.faults.world import NEW
from tui_upgrader.demo import content

VERSION = "1.2.0"
HTTPD = "httpd -p 127.0.0.1:${DEMO_PORT} -h /www"  # without -f: it forks, sh goes on
CRASH_LATER = f'["sh", "-c", "{HTTPD}; sleep 3; exit 1"]'
VERSION_CHECK = '["CMD", "sh", "-c", "wget -q -O - http://127.0.0.1:${DEMO_PORT}/ | grep -q 1.2.0"]'


def without_web_healthcheck(compose: str) -> str:
    web, rest = compose.split("  worker:", 1)
    head, _, check = web.partition("    healthcheck:\n")
    assert check.count("\n") == 4, "the demo's web healthcheck is four lines"
    return head + "  worker:" + rest


def release_with(case: Case, compose: str, index_html: str | None = None) -> Tree:
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


def compose_with(**kwargs: str) -> str:
    """The demo's compose text with these changes (names filled in by ``named_for``)."""
    return content.compose_text(PROJECT_PLACEHOLDER, IMAGE_PLACEHOLDER, **kwargs)


PROJECT_PLACEHOLDER = "@project@"
IMAGE_PLACEHOLDER = "@image@"


def named_for(case: Case, text: str) -> str:
    layout = case.world.layout
    return text.replace(PROJECT_PLACEHOLDER, layout.project).replace(
        IMAGE_PLACEHOLDER, layout.images[NEW]
    )
