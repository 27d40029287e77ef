"""The one y/N prompt every destructive command goes through."""

from __future__ import annotations

import io

import pytest

from tui_upgrader.commands._runtime import confirm
from tui_upgrader.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, CancelledError, InputError


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_yes_at_the_prompt_goes_ahead_and_the_prompt_goes_to_stderr() -> None:
    err = io.StringIO()

    confirm("Delete backup 3?", assume_yes=False, what="delete", stdin=Terminal("y\n"), stderr=err)

    assert err.getvalue() == "Delete backup 3? [y/N] "


@pytest.mark.parametrize("answer", ["\n", "n\n", "no\n", "maybe\n", ""])
def test_anything_but_yes_cancels_with_exit_1(answer: str) -> None:
    with pytest.raises(CancelledError) as caught:
        confirm(
            "Upgrade?",
            assume_yes=False,
            what="upgrade",
            stdin=Terminal(answer),
            stderr=io.StringIO(),
        )

    assert str(caught.value) == "upgrade cancelled; nothing was changed"
    assert caught.value.exit_code == EXIT_FAILED


def test_without_a_terminal_it_refuses_instead_of_guessing() -> None:
    with pytest.raises(InputError) as caught:
        confirm("Upgrade?", assume_yes=False, what="upgrade", stdin=io.StringIO("y\n"))

    assert "pass --yes" in str(caught.value)
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_assume_yes_never_reads_the_terminal() -> None:
    stdin = Terminal("n\n")

    confirm("Upgrade?", assume_yes=True, what="upgrade", stdin=stdin, stderr=io.StringIO())

    assert stdin.tell() == 0
