"""The engine's state words as a person reads them.

Events carry English identifiers (``healthy``, ``loading``): they are what
``--json`` and the log file say. A front end showing them to a person looks
the word up here, so it follows the active language.
"""

from __future__ import annotations

from tui_upgrader.core.events import ServiceEvent
from tui_upgrader.core.i18n import N_, Translated, _, ngettext

SERVICE_STATES: Translated[str] = Translated(
    {
        "starting": N_("starting"),
        "running": N_("running"),
        "healthy": N_("healthy"),
        "unhealthy": N_("unhealthy"),
        "exited": N_("exited"),
        "restarting": N_("restarting"),
        "missing": N_("missing"),
        "dead": N_("dead"),
    }
)

LAYER_PHASES: Translated[str] = Translated(
    {
        "downloading": N_("downloading"),
        "extracting": N_("extracting"),
        "loading": N_("loading"),
    }
)

LOG_LEVELS: Translated[str] = Translated(
    {"debug": N_("debug"), "info": N_("info"), "warning": N_("warning"), "error": N_("error")}
)


def service_state(state: str) -> str:
    """The state in the active language; an unknown word from the engine as it is."""
    return SERVICE_STATES.get(state, state)


def layer_phase(phase: str) -> str:
    return LAYER_PHASES.get(phase, phase)


def service_message(event: ServiceEvent) -> str:
    """``service app: healthy (…), 2 restarts`` in the active language."""
    detail = f" ({event.detail})" if event.detail else ""
    restarts = (
        ngettext(", {count} restart", ", {count} restarts", event.restarts).format(
            count=event.restarts
        )
        if event.restarts
        else ""
    )
    return _("service {service}: {state}{detail}{restarts}").format(
        service=event.service, state=service_state(event.state), detail=detail, restarts=restarts
    )
