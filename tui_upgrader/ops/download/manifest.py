"""Fetch the release manifest from a URL (httpx) or a local file."""

from __future__ import annotations

import contextlib
import logging
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from tui_upgrader.core.errors import ConfigError, ManifestError, NetworkError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import MAX_MANIFEST_BYTES, Manifest, parse_manifest_bytes
from tui_upgrader.core.text import shorten
from tui_upgrader.ops.bounded_read import read_capped
from tui_upgrader.ops.settings import Settings

if TYPE_CHECKING:
    # httpx (~35 ms of imports) only for a manifest on a server: a local file,
    # the air-gapped case, loads while the first screen paints without it.
    import httpx

logger = logging.getLogger(__name__)

USER_AGENT = "tui-upgrader"


def _read_limited(response: httpx.Response, url: str, deadline: float) -> bytes:
    """The body, capped on the DECODED bytes: a 32 KB zstd answer must not become 2 GB.

    ``Accept-Encoding: identity`` is asked for; a server that compresses anyway
    is decoded here, bounded: gzip/deflate only, cut at the cap.
    """
    from tui_upgrader.ops.http import check_deadline

    declared = response.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared) > 19 or int(declared) > MAX_MANIFEST_BYTES)
    ):
        raise ManifestError(
            url,
            _("larger than {limit} bytes ({declared} bytes)").format(
                limit=MAX_MANIFEST_BYTES, declared=shorten(declared, 30)
            ),
        )
    decoder = _decoder(response.headers.get("content-encoding", ""), url)
    chunks: list[bytes] = []
    size = 0
    for raw in response.iter_raw():
        check_deadline(deadline, url)
        try:
            chunk = decoder.decompress(raw, MAX_MANIFEST_BYTES + 1 - size) if decoder else raw
        except zlib.error:
            raise ManifestError(url, _("the answer does not match its Content-Encoding")) from None
        size += len(chunk)
        if size > MAX_MANIFEST_BYTES or (decoder is not None and decoder.unconsumed_tail):
            raise ManifestError(
                url, _("larger than {limit} bytes").format(limit=MAX_MANIFEST_BYTES)
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decoder(encoding: str, url: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise ManifestError(
        url,
        _("the server sent Content-Encoding {encoding!r} although identity was asked for").format(
            encoding=shorten(encoding, 40)
        ),
    )


def is_remote(source: str) -> bool:
    """http(s), in any letter case, as the fetch itself decides."""
    with contextlib.suppress(ValueError):
        return urlsplit(source).scheme.lower() in ("http", "https")
    return False


def _local_path(source: str) -> Path | None:
    """The file a ``file://`` URL or plain path names; None for http(s).

    Anything else that looks like a URL is refused here, so a typo such as
    ``htp://`` is not reported as a missing file of that odd name.
    """
    try:
        parts = urlsplit(source)
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise ConfigError(
            _("{source}: not a valid manifest URL ({exc})").format(source=source, exc=exc)
        ) from exc
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ConfigError(
                _("{source}: not a valid manifest URL (no host)").format(source=source)
            )
        try:
            parts.port  # noqa: B018 - parsing is the check: 99999 is no port
        except ValueError as exc:
            raise ConfigError(
                _("{source}: not a valid manifest URL ({exc})").format(source=source, exc=exc)
            ) from None
        return None
    if scheme == "file":
        return Path(unquote(parts.path))
    if scheme and "://" in source:
        raise ConfigError(
            _(
                "{source}: unsupported manifest URL scheme {scheme!r} (use "
                "http://, https://, file:// or a path)"
            ).format(source=source, scheme=parts.scheme)
        )
    return Path(source)


def fetch_manifest_bytes(
    source: str, settings: Settings, client: httpx.Client | None = None
) -> bytes:
    path = _local_path(source)
    if path is None:
        import httpx

        from tui_upgrader.ops.http import fetch_deadline_s, request_error

        deadline = time.monotonic() + fetch_deadline_s(settings)
        timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        own = client is None
        http = client or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT})
        try:
            with http.stream(
                "GET", source, follow_redirects=True, headers={"Accept-Encoding": "identity"}
            ) as response:
                if response.status_code >= 400:
                    raise NetworkError(
                        _("{source}: server answered HTTP {status_code} {reason_phrase}").format(
                            source=source,
                            status_code=response.status_code,
                            reason_phrase=response.reason_phrase,
                        )
                    )
                return _read_limited(response, source, deadline)
        except httpx.InvalidURL as exc:
            raise ConfigError(
                _("{source}: not a valid manifest URL ({exc})").format(source=source, exc=exc)
            ) from exc
        except httpx.RequestError as exc:
            raise request_error(exc, source) from exc
        finally:
            if own:
                http.close()
    try:
        # The cap counts bytes read (/dev/zero has st_size 0); a FIFO cannot hang.
        return read_capped(path, MAX_MANIFEST_BYTES, deadline_s=settings.read_timeout_s)
    except ValueError:  # an embedded NUL byte
        raise ConfigError(_("{path}: a path cannot contain a NUL byte").format(path=path)) from None
    except FileNotFoundError:
        raise ConfigError(_("{path}: manifest file not found").format(path=path)) from None
    except OSError as exc:
        raise ConfigError(
            _("{path}: cannot read manifest: {strerror}").format(path=path, strerror=exc.strerror)
        ) from exc


def fetch_manifest(
    source: str | None, settings: Settings, client: httpx.Client | None = None
) -> Manifest:
    if not source:
        raise ConfigError(
            _("no manifest configured: pass --manifest URL|PATH or set manifest in config.toml")
        )
    data = fetch_manifest_bytes(source, settings, client)
    logger.info("manifest fetched from %s (%d bytes)", source, len(data))
    return parse_manifest_bytes(data, source)
