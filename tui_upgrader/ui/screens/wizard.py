"""First run: ask for the release server (manifest URL) and the deploy dir, save them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalGroup, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ui.host import host
from tui_upgrader.ui.lang import translate_bindings


@dataclass(frozen=True, slots=True)
class SetupAnswers:
    manifest: str
    deploy_dir: Path
    trusted_root: Path | None = None
    allow_unsigned: bool = False


def validate(
    manifest: str, deploy_dir: str, trusted_root: str = "", allow_unsigned: bool = False
) -> tuple[SetupAnswers | None, str]:
    manifest, deploy_dir, trusted_root = manifest.strip(), deploy_dir.strip(), trusted_root.strip()
    if not manifest:
        return (
            None,
            _(
                "The manifest URL is required "
                "(for example https://updates.example.com/manifest.json)."
            ),
        )
    if not manifest.startswith(("http://", "https://", "/", "file://")):
        return None, _("The manifest must be an http(s):// URL or an absolute file path.")
    if not deploy_dir.startswith(("/", "~")):
        return None, _(
            "The deploy dir must be an absolute path (the folder with the compose file)."
        )
    if trusted_root and not trusted_root.startswith(("/", "~")):
        return None, _("The trusted root must be an absolute path (root.json from the publisher).")
    root = Path(trusted_root).expanduser() if trusted_root else None
    if root is None and not allow_unsigned:
        # The two real choices; "trust later" only led to a hard error on the next screen.
        return None, _(
            "Give the publisher's root.json to verify releases, or tick "
            "'Allow unsigned releases' if this server has no signed releases."
        )
    return SetupAnswers(manifest, Path(deploy_dir).expanduser(), root, root is None), ""


class WizardScreen(Screen[SetupAnswers]):
    """Dismisses with the saved answers once the config file is written."""

    CSS_PATH = "wizard.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), id="wizard-save")
    ]

    def __init__(self, config_hint: str, default_deploy_dir: Path) -> None:
        super().__init__()
        translate_bindings(self)
        self._config_hint = config_hint
        self._default_deploy_dir = default_deploy_dir

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="wizard"):
            yield Label(_("First run: where are updates and the deployment?"), id="wizard-title")
            yield Static(
                _(
                    "Saved to {path}. Edit that file later by hand; this tool never rewrites it."
                ).format(path=self._config_hint),
                classes="-hint",
                markup=False,
            )
            with VerticalGroup(classes="field"):
                yield Label(_("Release manifest URL (or file path)"))
                yield Input(placeholder="https://updates.example.com/manifest.json", id="manifest")
            with VerticalGroup(classes="field"):
                yield Label(_("Deploy dir (holds the compose file)"))
                yield Input(str(self._default_deploy_dir), id="deploy-dir")
            with VerticalGroup(classes="field"):
                yield Label(_("Trusted root (the publisher's root.json, pinned now)"))
                yield Input(placeholder="/root/keys/root.json", id="trusted-root")
            yield Checkbox(
                Content(
                    _(
                        "Or allow unsigned releases: NOT verified, anyone who can change the "
                        "server's files can change what is installed"
                    )
                ),
                id="allow-unsigned",
                compact=True,
            )
            yield Static("", id="wizard-problem", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#manifest", Input).focus()

    @on(Input.Submitted, "#manifest")
    def _next_field(self) -> None:
        self.query_one("#deploy-dir", Input).focus()

    @on(Input.Submitted, "#deploy-dir")
    def _root_field(self) -> None:
        self.query_one("#trusted-root", Input).focus()

    @on(Input.Submitted, "#trusted-root")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        answers, problem = validate(
            self.query_one("#manifest", Input).value,
            self.query_one("#deploy-dir", Input).value,
            self.query_one("#trusted-root", Input).value,
            self.query_one("#allow-unsigned", Checkbox).value,
        )
        self.query_one("#wizard-problem", Static).update(problem)
        if answers is not None:
            self._write(answers)

    @work(
        thread=True,
        exclusive=True,
        group="setup",
        exit_on_error=False,
        description=_("Save config"),
    )
    def _write(self, answers: SetupAnswers) -> SetupAnswers:
        host(self).deps.write_config(
            answers.manifest, answers.deploy_dir, answers.trusted_root, answers.allow_unsigned
        )
        return answers

    @on(Worker.StateChanged)
    def _written(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "setup":
            return
        if event.state is WorkerState.SUCCESS and isinstance(event.worker.result, SetupAnswers):
            self.dismiss(event.worker.result)
        elif event.state is WorkerState.ERROR:
            error = event.worker.error
            text = error.message if isinstance(error, UpgraderError) else repr(error)
            self.query_one("#wizard-problem", Static).update(
                _("Could not save: {error}").format(error=text)
            )
