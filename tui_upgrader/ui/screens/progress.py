"""ProgressScreen: runs one operation in its own thread and shows it live.

The screen owns the job thread (``ops.job_thread``) and renders every event
the job posts to it. It cannot be left while the operation runs; cancel is
honoured before the stop and refused, with the reason, after it.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalGroup
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from tui_upgrader.core.events import (
    Event,
    LogEvent,
    ResultEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.run_model import RunModel, RunSnapshot
from tui_upgrader.core.state_words import service_message
from tui_upgrader.ops.job_thread import CriticalWatch, JobThread
from tui_upgrader.ui.host import host
from tui_upgrader.ui.lang import translate_bindings
from tui_upgrader.ui.messages import JobEnded, UpgradeEvent
from tui_upgrader.ui.operations import Operation, Outcome, describe
from tui_upgrader.ui.planview import STEP_TITLES
from tui_upgrader.ui.widgets.event_log import EventLog
from tui_upgrader.ui.widgets.layer_list import LayerList
from tui_upgrader.ui.widgets.overall_bar import OverallBar
from tui_upgrader.ui.widgets.service_list import ServiceList
from tui_upgrader.ui.widgets.status_line import StatusLine, Timing, status_text
from tui_upgrader.ui.widgets.step_list import StepList
from tui_upgrader.ui.widgets.transfer_bar import TransferBar

logger = logging.getLogger(__name__)

TICK_S = 0.25  # how often the widgets read the run model

REFUSED = N_(
    "Cancel refused: the services are stopped. Stopping half-way would leave a "
    "half-applied deploy dir, so the upgrade finishes or rolls back on its own."
)


class ProgressScreen(Screen[ResultEvent | None]):
    CSS_PATH = "progress.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_job", N_("Cancel"), id="progress-cancel"),
        Binding("enter", "finish", N_("Continue"), id="progress-continue"),
        Binding("l", "focus_log", N_("Log"), id="progress-log"),
    ]

    def __init__(self, operation: Operation) -> None:
        super().__init__()
        translate_bindings(self)
        self.operation = operation
        self.result: ResultEvent | None = None
        self.outcome: Outcome | None = None
        self.critical = operation.critical_from is None
        self.cancel_requested = False
        self._stopped = False
        self.timing = Timing()
        self.model: RunModel | None = None  # built on mount (it needs the app's clock)
        self._seen = -1  # the model version last drawn
        self._services_seen: dict[str, tuple[str, str, int]] = {}
        self.job: JobThread | None = None
        self.engine_watch: CriticalWatch | None = None

    # --- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="progress-main"):
            yield StepList(self.operation.steps, id="steps")
            with Vertical(id="progress-work"):
                with VerticalGroup(id="result", classes="-hidden"):
                    yield Label("", id="result-headline", markup=False)
                    yield Static("", id="result-lines", markup=False)
                yield OverallBar(id="overall")
                yield TransferBar(id="transfer")
                yield LayerList(id="layers")
                yield ServiceList(id="services")
                yield EventLog(id="log")
        yield StatusLine(id="progress-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = self.operation.title
        op = self.operation
        self.model = RunModel(
            op.steps,
            host(self).deps.clock.monotonic,
            package_bytes=op.package_bytes,
            past_downtimes=op.past_downtimes,
            # A recovery starts with the stack stopped by the interrupted run.
            services_state="down" if op.kind == "recover" else "unknown",
        )
        self.timing.started = self.model.overall.started_at
        self.query_one("#layers", LayerList).add_class("-empty")
        self.query_one(TransferBar).add_class("-stale")
        # The widgets read the model at this pace, however fast bytes arrive.
        self.set_interval(TICK_S, self._tick)
        self._tick()
        model = self.model

        def emit(event: Event) -> None:
            model.feed(event)
            if isinstance(event, StepEvent | LogEvent):
                self.post_message(UpgradeEvent(event))  # discrete: shown as it happens

        # Seen on the job's thread, so still true after the UI has gone (quit).
        self.engine_watch = watch = CriticalWatch(emit, op.critical_from)

        def ended(result: ResultEvent) -> None:
            model.end(result)
            self.post_message(JobEnded(result))  # the one end signal

        # The job's own thread, not a Textual worker: quitting the app must hand
        # the terminal back at once while a stopped stack is being brought back.
        self.job = JobThread(op.job, watch, ended)
        self.job.start()

    def _now(self) -> float:
        return host(self).deps.clock.monotonic()

    @property
    def running(self) -> bool:
        return self.result is None

    @property
    def started(self) -> bool:
        """Mounted and the job thread launched (the clock started)."""
        return self.job is not None

    # --- events from the job -----------------------------------------------------------

    def apply_event(self, event: Event) -> None:
        """One engine event on the UI thread (screenshots and tests call it directly)."""
        assert self.model is not None
        if isinstance(event, StepEvent):
            self.model.feed(event)
            self._on_step(event, self._now())
        elif isinstance(event, LogEvent):
            self._log(event.level, event.message)
        elif isinstance(event, ResultEvent):
            self.model.end(event)
            self._finish(event)
        else:
            self.model.feed(event)
            self._tick()

    @on(UpgradeEvent)
    def _on_discrete(self, message: UpgradeEvent) -> None:
        # Already in the model (fed on the job's thread); only the screen reacts.
        event = message.event
        if isinstance(event, StepEvent):
            self._on_step(event, self._now())
        elif isinstance(event, LogEvent):
            self._log(event.level, event.message)

    def _on_step(self, event: StepEvent, now: float) -> None:
        self.query_one(StepList).apply(event.step, event.state, now)
        if event.state == "started":
            transfer = self.query_one(TransferBar)
            # A finished transfer's figures say nothing about the next step.
            transfer.set_class(transfer.step is not event.step, "-stale")
        elif event.state == "skipped" and event.detail:
            # The step list shows it skipped; only the reason is news.
            title = STEP_TITLES.get(event.step, event.step)
            self._log(
                "info", _("{title} skipped: {detail}").format(title=title, detail=event.detail)
            )
        if event.step is Step.STOPPING_SERVICES and event.state == "started":
            self._stopped = True
            self.timing.down_from = now
            if self.operation.critical_from is Step.STOPPING_SERVICES:
                self.critical = True
        elif event.step is self.operation.critical_from and event.state == "started":
            self.critical = True
        if event.step is Step.VERIFYING_SERVICES and event.state == "finished":
            self.timing.down_until = now
        self.refresh_bindings()
        self._tick()

    @on(JobEnded)
    def _on_job_ended(self, message: JobEnded) -> None:
        self._finish(message.result)

    def _finish(self, result: ResultEvent) -> None:
        if self.result is not None:
            return
        self.result = result
        now = self._now()
        self.timing.ended = now
        self.timing.downtime = result.downtime_s
        if self.timing.down_from is not None and self.timing.down_until is None:
            self.timing.down_until = now
        self.critical = False
        self._tick()  # the last figures the job left in the model
        self.query_one(StepList).settle(success=result.success)
        outcome = describe(
            self.operation,
            result,
            host(self).deps.log_path,
            cancelled=self.cancel_requested,
            stopped=self._stopped,
            # #result's padding is 1 on each side.
            width=self.query_one("#progress-work").content_region.width - 2,
        )
        self.outcome = outcome
        host(self).record_result(outcome.exit_code)
        self.query_one("#progress-work").add_class("-ended")
        box = self.query_one("#result")
        box.remove_class("-hidden")
        box.set_class(outcome.tone == "success", "-success")
        box.set_class(outcome.tone == "failure", "-failure")
        box.set_class(outcome.tone == "danger", "-danger")
        self.query_one("#result-headline", Label).update(outcome.headline)
        self.query_one("#result-lines", Static).update("\n".join(outcome.lines))
        level = "info" if outcome.tone == "success" else "error"
        self._log(level, _("result: {headline}").format(headline=outcome.headline))
        log = self.query_one(EventLog)
        self.call_after_refresh(log.scroll_end, animate=False)
        self.refresh_bindings()
        self._tick()

    # --- status line ---------------------------------------------------------------------

    def _tick(self) -> None:
        if self.model is None:
            return
        now = self._now()
        snap = self.model.snapshot()
        if snap.version != self._seen:
            self._seen = snap.version
            self._draw(snap, now)
        overall = self.query_one(OverallBar)
        overall.show(snap.overall)
        self.query_one(ServiceList).tick(now)
        text = status_text(
            self.timing,
            now,
            running=self.running,
            critical=self.critical,
            cancelling=self.cancel_requested,
            services=snap.services_state,
        )
        self.query_one(StatusLine).show(text)

    def _draw(self, snap: RunSnapshot, now: float) -> None:
        """What changed in the model since the last tick (bytes, layers, services)."""
        if snap.transfer is not None:
            bar = self.query_one(TransferBar)
            if bar.shown is not snap.transfer:
                bar.remove_class("-stale")
                bar.show(snap.transfer, now)
        if snap.layers:
            self.query_one(LayerList).show_all(snap.layers)
        services = self.query_one(ServiceList)
        for event in snap.services:
            key = (event.state, event.detail, event.restarts)
            if self._services_seen.get(event.service) == key:
                continue
            self._services_seen[event.service] = key
            services.show(event, now)
            self._log("info", service_message(event))

    def _log(self, level: str, message: str) -> None:
        stamp = host(self).deps.clock.now().strftime("%H:%M:%S")
        self.query_one(EventLog).say(stamp, level, message)

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_job":
            # Not offered once the stack is stopped (the status line says why).
            return self.running and not self.critical
        if action == "finish":
            return not self.running
        return True

    def action_cancel_job(self) -> None:
        self.request_cancel()

    def request_cancel(self) -> bool:
        """True when the cancel was passed to the engine; False when refused."""
        if not self.running:
            return False
        if self.critical:
            refused = _(REFUSED)
            self.notify(refused, title=_("Cannot cancel now"), severity="warning", timeout=8)
            self._log("warning", refused)
            return False
        if not self.cancel_requested:
            self.cancel_requested = True
            self._log("warning", _("cancel requested: stopping at the next safe point"))
            if self.job is not None:
                self.job.cancel.set()
        self._tick()
        return True

    def action_focus_log(self) -> None:
        self.query_one(EventLog).focus()

    async def action_finish(self) -> None:
        if self.running:
            return
        if self.operation.then == "restart":
            await host(self).restart_flow()
        else:
            self.dismiss(self.result)
