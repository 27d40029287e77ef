"""Small HTTP pieces of the downloader: retry policy and header checks."""

from __future__ import annotations

import email.utils
import random
import re
import time
from dataclasses import dataclass

import httpx

from tui_upgrader.core.errors import NetworkError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.settings import Settings

USER_AGENT = "tui-upgrader"

# Statuses worth another try: the server or a proxy is busy or hiccuped.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# At most 19 digits: a server's numbers fit an int64 or are nonsense (and int()
# of 4,300 digits raises).
_CONTENT_RANGE = re.compile(
    r"^\s*bytes\s+([0-9]{1,19})-([0-9]{1,19})/([0-9]{1,19}|\*)\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``Retry-After`` wins when the server sends it.

    ``retries`` counts consecutive attempts that made no progress: a flaky
    link that drops every few megabytes still finishes, a dead one gives up.
    """

    retries: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(retries=settings.download_retries)

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        cap = min(self.max_delay_s, self.base_delay_s * 2 ** max(failures - 1, 0))
        # "Equal jitter": never less than half the step, so backoff still grows.
        backoff = random.uniform(cap / 2, cap) if cap > 0 else 0.0
        if retry_after is not None:
            return max(backoff, min(retry_after, self.max_retry_after_s))
        return backoff


@dataclass(frozen=True, slots=True)
class ContentRange:
    start: int
    end: int  # inclusive
    total: int | None


def parse_content_range(value: str | None) -> ContentRange | None:
    """``bytes START-END/TOTAL`` (TOTAL may be ``*``); None if absent or malformed."""
    if value is None:
        return None
    match = _CONTENT_RANGE.match(value)
    if match is None:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if end < start or (total is not None and end >= total):
        return None
    return ContentRange(start, end, total)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # float() of thousands of digits is inf, never an error: capped by the policy.
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    if raw is None or not re.fullmatch(r"[0-9]{1,19}", raw.strip()):
        return None
    # With a Content-Encoding the length counts encoded bytes; we read raw bytes,
    # so it still is the number of bytes that will arrive.
    return int(raw)


def make_client(settings: Settings) -> httpx.Client:
    return httpx.Client(
        timeout=timeouts(settings),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
    )


def timeouts(settings: Settings) -> httpx.Timeout:
    # No whole-transfer deadline: a 2 GB package on a slow link may take an
    # hour. ``read`` is a stall detector: no byte for that long -> retry.
    return httpx.Timeout(
        connect=settings.connect_timeout_s,
        read=settings.read_timeout_s,
        write=settings.read_timeout_s,
        pool=settings.connect_timeout_s,
    )


def describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return _("connection timed out")
    if isinstance(exc, httpx.ReadTimeout):
        return _("the server stopped sending (read timeout)")
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "Name or service not known" in text or "nodename nor servname" in text:
            return _("host name could not be resolved (DNS)")
        if "Connection refused" in text:
            return _("connection refused")
        return _("cannot connect: {error}").format(error=text) if text else _("cannot connect")
    if isinstance(exc, httpx.RemoteProtocolError):
        if str(exc):
            return _("connection broken: {error}").format(error=exc)
        return _("connection broken")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def request_error(exc: httpx.RequestError, url: str) -> NetworkError:
    """One line for any request failure httpx raises, naming the URL."""
    if isinstance(exc, httpx.TooManyRedirects):
        return NetworkError(_("{url}: too many redirects (a redirect loop?)").format(url=url))
    if isinstance(exc, httpx.DecodingError):
        return NetworkError(
            _("{url}: the answer does not match its Content-Encoding").format(url=url)
        )
    if isinstance(exc, httpx.TransportError):
        return NetworkError(f"{url}: {describe_transport_error(exc)}")
    return NetworkError(f"{url}: {type(exc).__name__}: {exc}")


def fetch_deadline_s(settings: Settings) -> float:
    """Overall limit on a manifest or metadata fetch (small files, unlike packages):
    a server that trickles a byte now and then never trips the read timeout."""
    return settings.connect_timeout_s + 4 * settings.read_timeout_s


def check_deadline(deadline: float, url: str) -> None:
    if time.monotonic() > deadline:
        raise NetworkError(
            _("{url}: the server is too slow (no complete answer within the deadline)").format(
                url=url
            )
        )


def is_retryable(exc: httpx.TransportError) -> bool:
    # UnsupportedProtocol, LocalProtocolError and proxy misconfiguration will
    # not get better by waiting.
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)
