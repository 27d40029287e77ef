"""Saying, before the stop, what the release's compose file asks of the host.

Shown for every service (info), and called out (warning) where the installed
release did not ask for it: a new bind of ``/etc``, ``privileged``, the
host's PID namespace... By default nothing is refused: the release is signed
and the admin decides; the lines reach the log, ``--json`` and the progress
screen before anything is stopped. With ``refuse_new_host_access = true`` the
new ones refuse the release instead, before anything is loaded or stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.host_access import is_notable
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.ops.upgrade._internal.steps import Context


def announce_host_access(
    ctx: Context,
    staged: Sequence[ServiceSpec],
    live: Sequence[ServiceSpec] | None,
    *,
    refuse_new: bool = False,
) -> None:
    """``live`` None: nothing installed yet, so nothing is "new". ``refuse_new``
    (config ``refuse_new_host_access``) turns the new ones into a PackageError."""
    before = {(s.name, what) for s in live or () for what in s.host_access}
    new = [
        f"{s.name}: {what}"
        for s in staged
        for what in s.host_access
        if live is not None and (s.name, what) not in before and is_notable(what)
    ]
    if refuse_new and new:
        raise PackageError(
            _(
                "the release asks the host for what the installed one did not ({new}); "
                "refused (refuse_new_host_access = true)"
            ).format(new="; ".join(new))
        )
    for service in staged:
        for what in service.host_access:
            if f"{service.name}: {what}" in new:
                ctx.log(
                    "warning",
                    _("{service} asks the host for {what}: new since the installed release").format(
                        service=service.name, what=what
                    ),
                )
            else:
                ctx.log(
                    "info",
                    _("{service} asks the host for {what}").format(service=service.name, what=what),
                )
