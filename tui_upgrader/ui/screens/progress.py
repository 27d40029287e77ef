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
    LayerEvent,
    LogEvent,
    ProgressEvent,
    ResultEvent,
    ServiceEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.overall import OverallProgress
from tui_upgrader.ops.job_thread import CriticalWatch, JobThread
from tui_upgrader.ui.bridge import ThrottledEmit
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
        self.overall = OverallProgress(
            operation.steps,
            package_bytes=operation.package_bytes,
            past_downtimes=operation.past_downtimes,
        )
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
        self.timing.started = self.overall.started_at = self._now()
        self.query_one("#layers", LayerList).add_class("-empty")
        self.query_one(TransferBar).add_class("-stale")
        self.set_interval(0.5, self._tick)
        self._tick()
        throttled = ThrottledEmit(self.post_message)
        # Seen on the job's thread, so still true after the UI has gone (quit).
        self.engine_watch = emit = CriticalWatch(throttled, self.operation.critical_from)

        def ended(result: ResultEvent) -> None:
            throttled.flush()
            self.post_message(JobEnded(result))

        # The job's own thread, not a Textual worker: quitting the app must hand
        # the terminal back at once while a stopped stack is being brought back.
        self.job = JobThread(self.operation.job, emit, ended)
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

    @on(UpgradeEvent)
    def _on_event(self, message: UpgradeEvent) -> None:
        self.apply_event(message.event)

    def apply_event(self, event: Event) -> None:
        """Render one engine event (UI thread only; screenshots call it directly)."""
        now = self._now()
        if isinstance(event, StepEvent):
            self._on_step(event, now)
        elif isinstance(event, ProgressEvent):
            self.overall.on_progress(event.step, event.done, event.total)
            bar = self.query_one(TransferBar)
            bar.remove_class("-stale")
            bar.show(event, now)
        elif isinstance(event, LayerEvent):
            self.overall.on_layer(event.image, event.layer, event.done, event.total)
            self.query_one(LayerList).show(event)
        elif isinstance(event, ServiceEvent):
            self.query_one(ServiceList).show(event, now)
            detail = f" ({event.detail})" if event.detail else ""
            restarts = f", {event.restarts} restarts" if event.restarts else ""
            self._log(
                "info",
                _("service {service}: {state}{detail}{restarts}").format(
                    service=event.service, state=event.state, detail=detail, restarts=restarts
                ),
            )
        elif isinstance(event, LogEvent):
            self._log(event.level, event.message)
        elif isinstance(event, ResultEvent):
            self._finish(event)
        # The status line follows every event, not only the timer, so what it
        # shows depends on the events seen and the clock, never on timer luck.
        self._tick()

    def _on_step(self, event: StepEvent, now: float) -> None:
        self.query_one(StepList).apply(event.step, event.state, now)
        self.overall.on_step(event.step, event.state, now)
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
        if self.result is None:  # the engine did not emit its result itself
            self._finish(message.result)

    def _finish(self, result: ResultEvent) -> None:
        if self.result is not None:
            return
        self.result = result
        now = self._now()
        self.timing.ended = now
        self.timing.downtime = result.downtime_s
        self.overall.on_end(now, result.downtime_s)
        if self.timing.down_from is not None and self.timing.down_until is None:
            self.timing.down_until = now
        self.critical = False
        self.query_one(StepList).settle(success=result.success)
        outcome = describe(
            self.operation,
            result,
            host(self).deps.log_path,
            cancelled=self.cancel_requested,
            stopped=self._stopped,
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
        self._log(level, f"result: {outcome.headline}")
        log = self.query_one(EventLog)
        self.call_after_refresh(log.scroll_end, animate=False)
        self.refresh_bindings()
        self._tick()

    # --- status line ---------------------------------------------------------------------

    def _tick(self) -> None:
        now = self._now()
        self.query_one(OverallBar).show(self.overall.view(now))
        self.query_one(ServiceList).tick(now)
        text = status_text(
            self.timing,
            self._now(),
            running=self.running,
            critical=self.critical,
            cancelling=self.cancel_requested,
        )
        self.query_one(StatusLine).show(text)

    def _log(self, level: str, message: str) -> None:
        stamp = host(self).deps.clock.now().strftime("%H:%M:%S")
        self.query_one(EventLog).say(stamp, level, message)

    # --- actions --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_job":
            return self.running
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
