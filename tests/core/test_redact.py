"""The redactor: which ``.env`` values it learns and how it masks them."""

from __future__ import annotations

import pytest

from tui_upgrader.core.events import (
    LayerEvent,
    LogEvent,
    ResultEvent,
    ServiceEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.redact import MASK, Redactor, env_values, project_name_keys

ENV = """\
# a comment: COMMENTED=not-a-value
PLAIN=plain-secret
export EXPORTED=exported-secret
DOUBLE="double quoted secret"
SINGLE='single quoted $ecret'
ESCAPED="pa\\"ss\\\\word"
INLINE=inline-secret # the admin's note
SHORT=abc
EMPTY=
SPACED = spaced-secret
"""


def test_env_values_strip_quotes_comments_and_short_values() -> None:
    values = env_values(ENV)
    for wanted in (
        "plain-secret",
        "exported-secret",
        "double quoted secret",
        "single quoted $ecret",
        'pa"ss\\word',  # what the program sees after dotenv unescaping
        "inline-secret",
        "spaced-secret",
    ):
        assert wanted in values, wanted
    assert "abc" not in values, "values shorter than 4 would mask ordinary words"
    assert not any("COMMENTED" in v or "not-a-value" in v for v in values)
    assert not any(v.startswith(('"', "'")) for v in values), "quotes are not part of a value"


def test_quoted_value_is_masked_as_the_program_prints_it() -> None:
    redactor = Redactor(env_values(ENV))
    line = "db: connecting with double quoted secret and single quoted $ecret as PLAIN"
    assert redactor.redact(line) == f"db: connecting with {MASK} and {MASK} as PLAIN"
    assert redactor.redact('{"password": "pa\\"ss\\\\word"}') == '{"password": "***"}', (
        "JSON-escaped form, as structured logs print it"
    )


def test_longer_value_wins_over_a_value_it_contains() -> None:
    redactor = Redactor(["abcd", "abcdefgh"])
    assert redactor.redact("x abcdefgh y abcd") == f"x {MASK} y {MASK}"


def test_values_accumulate_and_empty_redactor_passes_text_through() -> None:
    redactor = Redactor()
    assert not redactor and redactor.redact("anything") == "anything"
    redactor.add(["first-secret"])
    redactor.add(["second-secret"])
    assert redactor.redact("first-secret second-secret") == f"{MASK} {MASK}"


def test_regex_metacharacters_in_values_are_literal() -> None:
    redactor = Redactor(["a.b*c(d"])
    assert redactor.redact("a.b*c(d aXbbbc(d") == f"{MASK} aXbbbc(d"


def test_overlapping_values_are_masked_whole() -> None:
    redactor = Redactor(["abcd", "abcdefgh", "abce", "abcdef-long-one", "xyz1"])
    text = "abcdefgh abcd abce abcdefg abcdef-long-one xyz1 abc"
    assert redactor.redact(text) == "*** *** *** ***efg *** *** abc"


def test_flags_and_port_numbers_are_settings_not_secrets() -> None:
    values = env_values("DEBUG=true\nPORT=8080\nVERBOSE=False\nPIN_CODE=123456\nTOKEN=tok-1234\n")

    assert values == {"123456", "tok-1234"}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (LogEvent("error", "web | password=plain-secret"), "message"),
        (ServiceEvent("web", "unhealthy", "check failed: plain-secret"), "detail"),
        (StepEvent(Step.ROLLING_BACK, "skipped", "plain-secret"), "detail"),
        (
            ResultEvent(
                success=False,
                from_version="1.0.0",
                to_version="1.1.0",
                backup_id=None,
                rolled_back=True,
                error="boom plain-secret",
            ),
            "error",
        ),
    ],
)
def test_events_are_masked_field_by_field(event: object, field: str) -> None:
    redactor = Redactor(["plain-secret"])
    masked = redactor.event(event)  # type: ignore[arg-type]
    assert "plain-secret" not in getattr(masked, field)
    assert MASK in getattr(masked, field)
    assert type(masked) is type(event)


def test_events_without_a_secret_are_passed_through_unchanged() -> None:
    redactor = Redactor(["plain-secret"])
    for event in (
        LogEvent("info", "nothing here"),
        LayerEvent("img", "abc", "loading", 1, 2),
        ResultEvent(
            success=True,
            from_version="1",
            to_version="2",
            backup_id=None,
            rolled_back=False,
            error=None,
        ),
    ):
        assert redactor.event(event) is event


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://u:p@host:8443/a/b.zip?token=t0k&v=1#frag",
            "https://***@host:8443/a/b.zip?token=***&v=***#***",
        ),
        ("http://127.0.0.1:8000/manifest.json", "http://127.0.0.1:8000/manifest.json"),
        ("http://h/p?bare-token", "http://h/p?***"),
        ("json://user:pw@h", "json://***@h"),
    ],
)
def test_one_rule_for_urls(url: str, shown: str) -> None:
    from tui_upgrader.core.redact import redact_url, redact_urls

    assert redact_url(url) == shown
    assert redact_urls(f"GET {url}: failed") == f"GET {shown}: failed"
    assert Redactor().redact(f"at {url}.") == redact_urls(f"at {url}.")


def test_a_multi_line_value_is_masked_line_by_line() -> None:
    values = env_values(
        'KEY="-----BEGIN KEY-----\nMIIEsecretline\n-----END KEY-----"\nNEXT=plainvalue\n'
    )
    assert {"MIIEsecretline", "plainvalue", "-----BEGIN KEY-----"} <= values
    assert "NEXT=plainvalue" not in values


def test_an_ssh_login_is_not_a_secret_but_a_password_is() -> None:
    from tui_upgrader.core.redact import redact_url

    assert redact_url("ssh://deploy@host:22") == "ssh://deploy@host:22"
    assert redact_url("ssh://deploy:pw@host") == "ssh://***@host"


def test_the_project_name_is_not_a_secret_but_a_password_is() -> None:
    """#24: a project name taken from .env showed as "project ***" in stage lines."""
    env = "COMPOSE_PROJECT_NAME=shop-prod\nPROJECT_NAME=shop-live\nDB_PASSWORD=s3cret-pw\n"
    values = env_values(env, project_name_keys("services: {}\nname: ${PROJECT_NAME}\n"))
    redactor = Redactor(values)
    line = "containers started for project shop-live (shop-prod), password s3cret-pw"
    assert (
        redactor.redact(line)
        == f"containers started for project shop-live (shop-prod), password {MASK}"
    )
    # Without the compose file's name: the value is an ordinary (secret) value.
    assert "shop-live" in env_values(env)


def test_a_project_name_value_also_used_as_a_secret_stays_masked() -> None:
    values = env_values(
        "PROJECT_NAME=shop-live\nDB_PASSWORD=shop-live\n", frozenset({"PROJECT_NAME"})
    )
    assert "shop-live" in values
