"""StrategyScreen: the decision in large type, why, and the plan. This is the dry run."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalGroup, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static

from tui_upgrader.core import display
from tui_upgrader.core.downtime import estimate_line
from tui_upgrader.core.errors import error_text
from tui_upgrader.core.i18n import N_, Translated, _
from tui_upgrader.core.strategy import Strategy, package_noun
from tui_upgrader.ui.host import host
from tui_upgrader.ui.lang import translate_bindings
from tui_upgrader.ui.messages import ServicesListed
from tui_upgrader.ui.planview import (
    COMPARISON_WORDS,
    STEP_TITLES,
    blocked_text,
    kept,
    plan_steps,
    shown,
    touched,
    version_line,
)
from tui_upgrader.ui.widgets.big_text import BigText
from tui_upgrader.ui.widgets.more_hint import MoreHint

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.planning import Plan

SECTIONS = ("why", "warnings", "plan", "touched", "kept")
SECTION_TITLES: Translated[str] = Translated(
    {
        "why": N_("Why"),
        "warnings": N_("Warnings"),
        "plan": N_("Plan"),
        "touched": N_("Touched"),
        "kept": N_("Kept"),
    }
)


class StrategyScreen(Screen[None]):
    CSS_PATH = "strategy.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next", N_("Backups & start"), id="strategy-next", priority=True),
        Binding("escape", "app.pop_screen", N_("Back"), id="strategy-back"),
        Binding("q", "app.quit", N_("Quit"), show=False),
    ]

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        translate_bindings(self)
        self.plan = plan
        self.services: list[str] | None = None
        self.services_problem = ""
        self.downtime = ""

    def compose(self) -> ComposeResult:
        decision = self.plan.decision
        word = "blocked" if decision.blocked_by is not None else decision.strategy.value
        yield Header()
        with Horizontal(id="strategy-head"):
            yield BigText(word, id="strategy-word", classes=f"-{word}")
            with VerticalGroup(id="strategy-versions"):
                yield Label(version_line(decision), id="strategy-version-line", markup=False)
                yield Label(self._subtitle(), id="strategy-subtitle", markup=False)
        with VerticalScroll(id="strategy-body") as body:
            for name in SECTIONS:
                with VerticalGroup(id=f"section-{name}", classes="section"):
                    yield Label(SECTION_TITLES[name], classes="section-title")
                    yield Static(id=f"strategy-{name}", classes="section-body")
        yield MoreHint(body, id="strategy-more")
        yield Footer(compact=True)

    def _subtitle(self) -> str:
        decision = self.plan.decision
        parts = [COMPARISON_WORDS[decision.comparison], shown(str(decision.arch))]
        if decision.package is not None:
            parts.append(
                _("{size} {package}").format(
                    size=display.size(decision.package.size),
                    package=package_noun(decision.package.kind),
                )
            )
        found = self.plan.download
        if found is not None and found.plan is not None:
            parts.append(
                _("{thin} to download (thin)").format(thin=display.size(found.plan.thin_bytes))
            )
        return " · ".join(parts)

    def on_mount(self) -> None:
        self.title = _("Strategy (dry run: nothing changes here)")
        self._paint()
        self.query_one("#strategy-body").focus()
        if self.plan.decision.upgrades:
            self._ask_services()

    def on_screen_resume(self) -> None:
        # The pre-upgrade backup switch lives on the Backups screen.
        self._paint()

    @work(
        thread=True,
        exclusive=True,
        group="services",
        exit_on_error=False,
        description="List the compose services",
    )
    def _ask_services(self) -> None:
        settings = host(self).settings
        downtime = ""
        try:
            if self.plan.decision.current_version is None:
                names: list[str] = []  # first install: nothing runs yet
            else:
                # A stat walk of what the final pass will look at: here, off the UI
                # thread, and imported only now (it is not needed for the first frame).
                from tui_upgrader.ops.upgrade.estimate import expected_downtime

                downtime = estimate_line(expected_downtime(settings))
                docker = host(self).deps.docker(settings)
                names = [s.name for s in docker.compose_services(settings.deploy_dir)]
        except Exception as exc:  # a worker must always answer, or the screen waits forever
            self.post_message(ServicesListed([], error_text(exc), downtime))
        else:
            self.post_message(ServicesListed(names, "", downtime))

    @on(ServicesListed)
    def _services(self, message: ServicesListed) -> None:
        self.services = message.names
        self.services_problem = message.problem
        self.downtime = message.downtime
        self._paint()

    def _fill(self, name: str, lines: list[Content | str]) -> None:
        self.query_one(f"#section-{name}").display = bool(lines)
        body = Content("\n").join(
            Content(shown(line)) if isinstance(line, str) else line for line in lines
        )
        self.query_one(f"#strategy-{name}", Static).update(body)

    def _paint(self) -> None:
        decision, settings = self.plan.decision, host(self).settings
        make_backup = host(self).make_backup
        self._fill("why", [f"• {reason}" for reason in decision.reasons])
        warnings: list[Content | str] = [
            Content.styled(f"⚠ {shown(w)}", "$text-warning") for w in decision.warnings
        ]
        blocked = blocked_text(decision)
        if blocked:
            warnings.insert(0, Content.styled(f"⛔ {shown(blocked)}", "$text-error"))
        if self.services_problem:
            warnings.append(
                Content.styled(
                    "⚠ " + _("Docker: {problem}").format(problem=shown(self.services_problem)),
                    "$text-warning",
                )
            )
        self._fill("warnings", warnings)
        if decision.strategy is Strategy.NONE:
            for name in ("plan", "touched", "kept"):
                self._fill(name, [])
            return
        steps: list[Content | str] = []
        for index, item in enumerate(plan_steps(decision, settings, make_backup=make_backup), 1):
            mark = Content.styled("▌", "$warning") if item.downtime else Content(" ")
            style = "$text-muted" if item.skipped else ""
            steps.append(
                mark
                + Content.styled(f"{index:>2} {display.pad(STEP_TITLES[item.step], 15)}", "bold")
                + Content.styled(shown(item.text), style)
            )
        steps.append(
            Content.styled(
                "▌ = " + _("downtime: from the stop until every service first passes its check"),
                "$text-muted",
            )
        )
        if self.downtime:
            steps.append(Content.styled("▌ " + self.downtime, "$warning"))
        self._fill("plan", steps)
        self._fill("touched", list(touched(decision, settings, self.services)))
        self._fill("kept", list(kept(decision, settings, make_backup=make_backup)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            # The footer offers only keys that do something now (False hides it).
            return bool(self.plan.decision.upgrades)
        return True

    def action_next(self) -> None:
        if not self.plan.decision.upgrades:
            return
        from tui_upgrader.ui.screens.backups import BackupsScreen

        self.app.push_screen(BackupsScreen(self.plan))
