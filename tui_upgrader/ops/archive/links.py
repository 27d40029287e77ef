"""Where do a tree's symlinks lead? Resolved in memory, from the complete link map.

Used twice with the same rule: by the backup writer (a link the restore would
refuse is refused before a useless backup is written) and by safe extraction
(after all members are known, so the order of members cannot fool it).
"""

from __future__ import annotations

MAX_HOPS = 40  # the kernel's limit on symlinks followed in one lookup


def _parent(name: str) -> list[str]:
    return name.split("/")[:-1]


def resolves_inside(links: dict[str, str], name: str) -> bool:
    """True when link ``name`` (relative path -> target) resolves inside the root.

    Walks the target component by component, substituting every symlink of the
    map it meets (as path lookup does); ``..`` above the root, an absolute
    target or a loop counts as outside. Paths the map does not know are plain
    directories or files inside the root, which is all an extraction into an
    empty directory (or a scan of a tree) can contain.
    """
    target = links[name]
    if target.startswith("/"):
        return False
    parts = _parent(name)
    pending = target.split("/")
    pending.reverse()  # a stack: the next component is at the end
    hops = 0
    while pending:
        comp = pending.pop()
        if comp in ("", "."):
            continue
        if comp == "..":
            if not parts:
                return False
            parts.pop()
            continue
        candidate = "/".join([*parts, comp])
        nested = links.get(candidate)
        if nested is None:
            parts.append(comp)
            continue
        hops += 1
        if hops > MAX_HOPS or nested.startswith("/"):
            return False
        more = nested.split("/")
        more.reverse()
        pending.extend(more)
    return True


def escaping_links(links: dict[str, str]) -> list[str]:
    """Names of the links that lead outside the root, sorted."""
    return sorted(name for name in links if not resolves_inside(links, name))
