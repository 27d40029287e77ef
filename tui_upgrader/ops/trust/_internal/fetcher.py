"""TUF's network seam, built on our httpx client (timeouts, proxies, error wording).

python-tuf asks for metadata and caps each download at the length it trusts;
``FetcherInterface.download_bytes`` stops reading past that cap, so endless
data ends at the signed length. Local URLs (``file:`` paths, an unpacked
air-gapped bundle) go through the same code, so offline verification is the
online one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from tuf.api.exceptions import DownloadHTTPError
from tuf.ngclient import FetcherInterface

from tui_upgrader.core.errors import NetworkError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.http import check_deadline, fetch_deadline_s, make_client, request_error
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.trust._internal.bundle import SCHEME, BundleIndex

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_KEPT = 1024 * 1024  # enough of a metadata file to read its expiry for the error


class HttpxFetcher(FetcherInterface):
    """Streams metadata over httpx, or reads it from a local folder; counts the bytes."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.Client | None = None,
        bundle: BundleIndex | None = None,
    ) -> None:
        self._settings = settings
        self._bundle = bundle
        self._client = client
        self._own = client is None
        self.bytes_fetched = 0
        # The file TUF asked for last and what it got: an error names it.
        self.last_name = ""
        self.last_data = b""

    def close(self) -> None:
        if self._own and self._client is not None:
            self._client.close()
        self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = make_client(self._settings)
        return self._client

    def _fetch(self, url: str) -> Iterator[bytes]:
        parts = urlsplit(url)
        self.last_name = unquote(parts.path).rsplit("/", 1)[-1]
        self.last_data = b""
        if parts.scheme.lower() in ("http", "https"):
            return self._fetch_http(url)
        if self._bundle is not None and url.startswith(SCHEME):
            return self._fetch_member(self._bundle, url.rsplit("/", 1)[-1])
        return self._fetch_local(Path(unquote(parts.path)))

    def _fetch_http(self, url: str) -> Iterator[bytes]:
        deadline = time.monotonic() + fetch_deadline_s(self._settings)
        try:
            with self._http().stream("GET", url, headers={"Accept-Encoding": "identity"}) as resp:
                if resp.status_code >= 400:
                    raise DownloadHTTPError(
                        f"{url}: server answered HTTP {resp.status_code} {resp.reason_phrase}",
                        resp.status_code,
                    )
                # As bytes arrive (a chunk size would buffer 64 KiB before the deadline is seen).
                for chunk in resp.iter_raw():
                    check_deadline(deadline, url)
                    self._count(chunk)
                    yield chunk
        except httpx.RequestError as exc:
            raise request_error(exc, url) from exc

    def _fetch_local(self, path: Path) -> Iterator[bytes]:
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            # What a static server says: TUF ends the root chain on a 404.
            raise DownloadHTTPError(f"{path}: not found", 404) from None
        except OSError as exc:
            raise NetworkError(
                _("{path}: cannot read: {strerror}").format(path=path, strerror=exc.strerror)
            ) from exc
        with fh:
            while block := fh.read(CHUNK):
                self._count(block)
                yield block

    def _fetch_member(self, bundle: BundleIndex, name: str) -> Iterator[bytes]:
        if name not in bundle.members:
            raise DownloadHTTPError(f"{bundle.path}: no {name}", 404)
        for block in bundle.read(name):
            self._count(block)
            yield block

    def _count(self, chunk: bytes) -> None:
        self.bytes_fetched += len(chunk)
        if len(self.last_data) < MAX_KEPT:
            self.last_data += chunk
