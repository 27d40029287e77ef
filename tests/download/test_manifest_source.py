"""Where the manifest comes from: http(s) on a real loopback server, files, and typos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_upgrader.core.errors import EXIT_BAD_INPUT, ConfigError
from tui_upgrader.ops.download.manifest import fetch_manifest_bytes
from tui_upgrader.ops.release.server import ReleaseServer
from tui_upgrader.ops.settings import Settings

BODY = json.dumps({"version": "1.0.0"}).encode()


def test_an_upper_case_scheme_is_still_http(
    release_server: ReleaseServer, release_dir: Path
) -> None:
    (release_dir / "manifest.json").write_bytes(BODY)
    url = release_server.url.replace("http://", "HTTP://") + "manifest.json"

    assert fetch_manifest_bytes(url, Settings()) == BODY


def test_a_file_url_is_unquoted(tmp_path: Path) -> None:
    path = tmp_path / "my manifest.json"
    path.write_bytes(BODY)

    assert fetch_manifest_bytes(f"file://{tmp_path}/my%20manifest.json", Settings()) == BODY


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("ftp://host/m.json", "unsupported manifest URL scheme 'ftp'"),
        ("htp://host/m.json", "unsupported manifest URL scheme 'htp'"),
        ("http://", "no host"),
        ("http://[::1/m.json", "not a valid manifest URL"),
    ],
)
def test_a_bad_url_is_bad_input_in_one_line(source: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        fetch_manifest_bytes(source, Settings())

    message = str(caught.value)
    assert message.startswith(f"{source}: ") and says in message
    assert "\n" not in message
    assert caught.value.exit_code == EXIT_BAD_INPUT
