"""The demo service's release folders: what changes from one version to the next.

Three releases with every kind of change a real one has:

- 1.0.0 -> 1.1.0 (full): new image, a new ``.env`` key (``DEMO_FEATURE_FLAGS``),
  a new directory (``app/plugins/``), a removed one (``app/legacy/``), changed
  files and a new one (``www/style.css``).
- 1.1.0 -> 1.1.0.1 (patch, same image): replaces ``app/VERSION``,
  ``config/app.conf``, ``www/index.html``, adds ``app/hotfix.txt`` and the
  directory ``app/plugins/gamma``; deletes ``app/notes.txt`` and the directory
  ``app/plugins/beta``.

The compose file takes the port and secrets from ``.env`` (interpolation), so
a release folder's text never depends on the port a test picked.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPOSE_FILE = "docker-compose.yml"
IMAGE_VERSION = {"1.0.0": "1.0.0", "1.1.0": "1.1.0", "1.1.0.1": "1.1.0"}  # release -> image tag

_COMPOSE = """\
# tui-upgrader demo stack (the image tag names the release it came with)
name: {project}
services:
  web:
    image: {image}
    pull_policy: never
    init: true
    network_mode: host
    restart: unless-stopped
    command: {web_command}
    environment:
      DEMO_GREETING: ${{DEMO_GREETING}}
      DEMO_SECRET: ${{DEMO_SECRET}}
    volumes:
      - ./www:/www:ro
      - ./config:/config:ro
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${{DEMO_PORT}}/{health_path}"]
      interval: 1s
      timeout: 2s
      retries: 10
  worker:
    image: {image}
    pull_policy: never
    init: true
    network_mode: none
    restart: unless-stopped
    command: ["sh", "/app/worker.sh"]
    volumes:
      - ./app:/app:ro
      - ./data:/data:ro
    healthcheck:
      test: ["CMD", "test", "-r", "/app/VERSION"]
      interval: 1s
      timeout: 2s
      retries: 10
"""

WEB_COMMAND = '["httpd", "-f", "-p", "127.0.0.1:${DEMO_PORT}", "-h", "/www"]'

_WORKER = """\
#!/bin/sh
# Reads its data, then idles: a second service that has no network at all.
echo "demo worker $(cat /app/VERSION) started; $(ls /data 2>/dev/null | wc -l) data entries"
exec sleep 2147483647
"""

_INDEX = """\
<!doctype html>
<html><head><title>tui-upgrader demo {version}</title>{style}</head>
<body><h1>tui-upgrader demo</h1><p id="version">{version}</p></body></html>
"""


@dataclass(frozen=True, slots=True)
class DemoSecrets:
    """What ``.env`` holds; the secret must never reach a log line."""

    port: int
    secret: str
    greeting: str = "hello"


def compose_text(
    project: str,
    image: str,
    *,
    web_command: str = WEB_COMMAND,
    health_path: str = "",
) -> str:
    return _COMPOSE.format(
        project=project,
        image=image,
        web_command=web_command,
        health_path=health_path,
    )


def env_text(version: str, env: DemoSecrets) -> str:
    lines = [
        "# Demo settings. Values you change here survive upgrades; new keys are added.",
        f"DEMO_PORT={env.port}",
        f"DEMO_GREETING={env.greeting}",
        f"DEMO_SECRET={env.secret}",
    ]
    if version != "1.0.0":
        lines.append("DEMO_FEATURE_FLAGS=search,export")
    return "\n".join(lines) + "\n"


def index_html(version: str) -> str:
    style = "" if version == "1.0.0" else '<link rel="stylesheet" href="style.css">'
    return _INDEX.format(version=version, style=style)


def release_files(version: str, project: str, image: str, env: DemoSecrets) -> dict[str, str]:
    """Relative path -> text of the release folder for ``version`` (images apart)."""
    files = {
        COMPOSE_FILE: compose_text(project, image),
        ".env": env_text(version, env),
        "RELEASE_NOTES.md": _NOTES[version],
        "app/VERSION": version + "\n",
        "app/worker.sh": _WORKER,
        "config/app.conf": f"# demo config\nversion = {version}\nstyle = "
        + ("plain" if version == "1.0.0" else "fancy")
        + ("\nhotfix = login-timeout\n" if version == "1.1.0.1" else "\n"),
        "www/index.html": index_html(version),
    }
    if version in ("1.0.0", "1.1.0"):
        files["app/notes.txt"] = "Notes shipped with the release; dropped by the 1.1.0.1 patch.\n"
    if version == "1.0.0":
        files["app/legacy/old-module.txt"] = "A module 1.1.0 removes.\n"
    else:
        files["www/style.css"] = "body { font-family: sans-serif; }\n"
        files["app/plugins/alpha/plugin.txt"] = "alpha plugin\n"
    if version == "1.1.0":
        files["app/plugins/beta/plugin.txt"] = "beta plugin (removed by 1.1.0.1)\n"
    if version == "1.1.0.1":
        files["app/hotfix.txt"] = "login timeout fixed\n"
        files["app/plugins/gamma/plugin.txt"] = "gamma plugin\n"
        files["app/plugins/gamma/assets/logo.txt"] = "gamma logo\n"
    return files


_NOTES = {
    "1.0.0": "First demo release.\n",
    "1.1.0": "New plugin system, a stylesheet and feature flags (new .env key).\n",
    "1.1.0.1": "Hotfix: login timeout; plugin beta replaced by gamma.\n",
}

DATA_SEED: dict[str, str] = {
    "data/users.csv": "id,name\n1,alice\n2,bob\n",
    "data/uploads/readme.txt": "Files users uploaded. Upgrades never touch data/.\n",
    "data/db/demo.sqlite.txt": "pretend database contents\n" * 64,
}
