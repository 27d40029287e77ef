"""``.env`` merging for full upgrades: the admin's values win, new keys are added.

Pure text in, text out; values are never logged by callers (they hold secrets),
only key names are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=")


def env_keys(text: str) -> list[str]:
    """Keys assigned in a dotenv text, in order, first occurrence only."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match and not line.lstrip().startswith("#"):
            seen.setdefault(match.group(1), None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class EnvMerge:
    text: str
    added_keys: tuple[str, ...]
    kept_keys: tuple[str, ...]  # keys the admin had that the release also sets


def merge_env(admin: str, release: str, version_label: str) -> EnvMerge:
    """Keep the admin's file as it is and append the release's new keys."""
    have = set(env_keys(admin))
    new_lines: list[str] = []
    added: list[str] = []
    for line in release.splitlines():
        match = ASSIGNMENT.match(line)
        if match and not line.lstrip().startswith("#") and match.group(1) not in have:
            new_lines.append(line)
            added.append(match.group(1))
            have.add(match.group(1))
    kept = tuple(k for k in env_keys(release) if k in set(env_keys(admin)))
    if not new_lines:
        return EnvMerge(admin, (), kept)
    body = admin if admin.endswith("\n") or not admin else admin + "\n"
    body += f"# Added by tui-upgrader for {version_label}\n" + "\n".join(new_lines) + "\n"
    return EnvMerge(body, tuple(added), kept)
