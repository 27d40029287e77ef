"""Sending a ``Notice`` to each configured Apprise URL: logged, never raised.

A notification is news about an outcome, never part of it: whatever goes wrong
here (a receiver that is down, a bad URL, apprise missing) is logged as a
warning and returned, and the caller's result and exit code stay as they were.
apprise is imported only here, and only when ``notify`` is set: it takes most
of a second to load its plugins, which the TUI's start-up must not pay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from tui_upgrader.core.redact import Redactor
from tui_upgrader.ops.logsetup import active_redactor, learn_env_secrets
from tui_upgrader.ops.notify.message import Notice

logger = logging.getLogger(__name__)


_PARTS = re.compile(r"[/:@?&=#]+")
MIN_TOKEN = 6  # shorter parts are ports, paths and flags, not tokens


def shown(url: str, plugin: Any | None) -> str:
    """How a notify URL is ever shown: Apprise's own privacy form (it knows which
    field is the secret: the "host" of ``tgram://``, ``pover://`` ... is the
    bot or app token), without its query of default settings; only the scheme
    for a URL Apprise cannot read."""
    if plugin is None:
        return url.partition("://")[0] + "://..."
    return str(plugin.url(privacy=True)).split("?", 1)[0]


def hidden_parts(url: str, where: str) -> set[str]:
    """The parts of ``url`` its privacy form hides: masked wherever they appear
    (a receiver's error message may quote them)."""
    return {p for p in _PARTS.split(url.partition("://")[2]) if len(p) >= MIN_TOKEN} - {
        p for p in _PARTS.split(where) if p
    }


def announce(urls: Sequence[str], notice: Notice) -> list[str]:
    """Send ``notice`` to every URL; returns one warning per URL that failed."""
    if not urls:
        return []
    mask = learn_env_secrets(Redactor(active_redactor().values), notice.deploy_dir)
    try:
        failures = _send(urls, notice, mask)
    except Exception as exc:  # apprise itself broke: still only news
        logger.debug("notification failed", exc_info=True)
        failures = [f"notifications could not be sent: {type(exc).__name__}: {exc}"]
    for text in failures:
        logger.warning("%s", mask.redact(text))
    return [mask.redact(text) for text in failures]


def _send(urls: Sequence[str], notice: Notice, mask: Redactor) -> list[str]:
    import apprise

    # apprise logs through its own logger; without a handler Python would print
    # its warnings on stderr, over the TUI. Its reasons are captured below.
    logging.getLogger("apprise").addHandler(logging.NullHandler())
    asset = apprise.AppriseAsset(app_id="tui-upgrader", app_desc="tui-upgrader")
    plugins = [(url, apprise.Apprise.instantiate(url, asset=asset)) for url in urls]
    for url, plugin in plugins:
        mask.add(hidden_parts(url, shown(url, plugin)))
    title, body = mask.redact(notice.title), mask.redact(notice.body)
    failures: list[str] = []
    for url, plugin in plugins:
        where = shown(url, plugin)
        if plugin is None:
            failures.append(f"notification to {where} not sent: not a valid Apprise URL")
            continue
        capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
        with capture as captured:
            sent = plugin.notify(body=body, title=title, notify_type=notice.severity)
        if sent:
            logger.info("notification sent to %s", where)
            continue
        lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
        why = lines[-1] if lines else "the receiver did not accept it"
        failures.append(f"notification to {where} failed: {why}")
    return failures
