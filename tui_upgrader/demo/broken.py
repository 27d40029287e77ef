"""A deliberately broken demo release, for rollback tests and benchmarks.

It is a normal full release (new image, new files) whose new stack never turns
healthy, so the health gate fails after the stop and the runner must roll back:

- ``unhealthy``: httpd runs, but the healthcheck asks for a page that does not
  exist (``wget`` gets a 404), so the container goes ``unhealthy`` after ~10 s;
- ``crash``: the web service exits at once with status 3 (and keeps restarting).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from tui_upgrader.core.versions import Version
from tui_upgrader.demo import content
from tui_upgrader.demo.releases import OFFERED, DemoLayout, write_release_folder
from tui_upgrader.ops.release.build import BuildResult, build_release

Failure = Literal["unhealthy", "crash"]
MISSING_HEALTH_PAGE = "health-page-that-does-not-exist"
CRASH_COMMAND = '["sh", "-c", "echo this release is broken on purpose; exit 3"]'


def build_broken_release(
    layout: DemoLayout,
    *,
    version: str = "1.2.0",
    failure: Failure = "unhealthy",
    store: Path | None = None,
) -> BuildResult:
    """Write ``sources/<version>`` and add it to ``store`` (default: the demo's).

    The manifest in that store then offers ``version`` (full packages only).
    """
    ref = f"{layout.images[OFFERED].rsplit(':', 1)[0]}:{version}"
    env = content.DemoSecrets(port=layout.port, secret=layout.secret)
    files = content.release_files(OFFERED, layout.project, ref, env)
    files["app/VERSION"] = version + "\n"
    files["www/index.html"] = content.index_html(version)
    files["RELEASE_NOTES.md"] = f"{version}: broken on purpose ({failure}); expect a rollback.\n"
    if failure == "unhealthy":
        compose = content.compose_text(layout.project, ref, health_path=MISSING_HEALTH_PAGE)
    else:
        compose = content.compose_text(layout.project, ref, web_command=CRASH_COMMAND)
    files[content.COMPOSE_FILE] = compose
    folder = layout.root / "sources" / version
    if folder.exists():
        shutil.rmtree(folder)  # a previous call's files must not leak into this release
    write_release_folder(
        folder,
        files,
        ref,
        image_version=version,
        project=layout.project,
    )
    return build_release(
        folder,
        version=Version.parse(version),
        out=store or layout.store,
        arches=(layout.arch,),
    )
