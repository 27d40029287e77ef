"""A static release server for LAN and air-gapped use (``tui-upgrader serve``).

Range, If-Range, ETag, Last-Modified and HEAD come from Werkzeug's
``send_from_directory`` (``Response.make_conditional``): we do not parse
ranges ourselves. ``safe_join`` refuses ``..`` and absolute paths; we also
refuse symlinks that resolve outside the root, dotfiles and temp files
(``.part``, ``.tmp``: a publisher's half-written copy), and answer 400 to a
path with a NUL or control byte.

Connections are cheap and workers bounded: an accepted connection waits in a
selector until its request starts arriving, and only then takes one of
``WORKERS`` threads; it must then finish within ``IO_TIMEOUT_S`` per read or
write. Idle connections are closed after ``IDLE_TIMEOUT_S`` and at most
``MAX_CONNECTIONS`` wait at once, so a crowd of idle sockets neither holds a
thread each nor stops the server answering. A request must have arrived whole
(request line and headers) within ``REQUEST_DEADLINE_S`` of taking a worker:
a client trickling one byte at a time stays inside every per-read timeout, and
``WORKERS`` of them would otherwise hold the whole pool for as long as they like.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any, cast

from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import parse_range_header
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.utils import send_from_directory
from werkzeug.wrappers import Request, Response
from werkzeug.wsgi import FileWrapper

from tui_upgrader.core.errors import ConfigError, NetworkError
from tui_upgrader.core.i18n import _

logger = logging.getLogger(__name__)

# Werkzeug's default 8 KiB blocks cost one Python round trip per block; 256 KiB
# lets a 512 MiB package leave at loopback speed with a flat memory profile.
BLOCK_SIZE = 256 * 1024
WORKERS = 16
MAX_CONNECTIONS = 1024
IDLE_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 10.0
REQUEST_DEADLINE_S = 15.0
# What a publisher writes before renaming it into place: never served.
UNPUBLISHED_SUFFIXES = (".part", ".tmp", "~")


def _file_wrapper(file: IO[bytes], buffer_size: int = BLOCK_SIZE) -> Iterable[bytes]:
    return FileWrapper(file, max(buffer_size, BLOCK_SIZE))


class _QuietHandler(WSGIRequestHandler):
    """Access lines go to our logger, not to Werkzeug's stderr handler
    (the TUI owns the terminal while the demo server runs).

    One request per connection (HTTP/1.0 closes): a kept-alive idle
    connection would hold a worker; ``timeout`` bounds every read and write.
    """

    protocol_version = "HTTP/1.0"
    timeout = IO_TIMEOUT_S

    def setup(self) -> None:
        super().setup()
        # Read at call time, so tests can shorten it.
        self._deadline = threading.Timer(REQUEST_DEADLINE_S, self._too_slow)
        self._deadline.daemon = True
        self._deadline.start()

    def _too_slow(self) -> None:
        logger.warning(
            "%s: request not complete within %.0f s; connection closed",
            self.client_address[0],
            REQUEST_DEADLINE_S,
        )
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def parse_request(self) -> bool:
        complete = super().parse_request()
        self._deadline.cancel()  # the response may take as long as the file needs
        return complete

    def finish(self) -> None:
        self._deadline.cancel()
        super().finish()

    def log(self, type: str, message: str, *args: Any) -> None:  # noqa: A002 - Werkzeug's name
        level = logging.WARNING if type == "error" else logging.INFO
        logger.log(level, "%s %s", self.address_string(), message % args if args else message)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Werkzeug's own colours its lines with ANSI codes, which end up raw
        # in the log file and on a non-terminal stderr.
        line = self.requestline.translate(self._control_char_table)
        self.log("info", '"%s" %s %s', line, code, size)


def _published(relative: str) -> bool:
    parts = relative.split("/")
    return not any(p.startswith(".") for p in parts) and not parts[-1].endswith(
        UNPUBLISHED_SUFFIXES
    )


class _PooledServer(BaseWSGIServer):
    """Werkzeug's server with a selector in front of a bounded pool (see the module doc)."""

    multithread = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="release-worker")
        self._waiting = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        super().__init__(*args, **kwargs)
        self._dispatcher = threading.Thread(
            target=self._dispatch, name="release-dispatch", daemon=True
        )
        self._dispatcher.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            if len(self._waiting.get_map()) >= MAX_CONNECTIONS:
                self.shutdown_request(request)
                return
            self._waiting.register(
                request, selectors.EVENT_READ, (client_address, time.monotonic())
            )

    def _dispatch(self) -> None:
        while not self._closed.is_set():
            if not self._waiting.get_map():
                self._closed.wait(0.02)
                continue
            ready = self._waiting.select(timeout=0.2)
            now = time.monotonic()
            with self._lock:
                for key, _events in ready:
                    self._waiting.unregister(key.fileobj)
                    self._pool.submit(self._work, key.fileobj, key.data[0])
                for key in list(self._waiting.get_map().values()):
                    if now - key.data[1] > IDLE_TIMEOUT_S:
                        self._waiting.unregister(key.fileobj)
                        self.shutdown_request(cast(socket.socket, key.fileobj))

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        # Werkzeug closes during __init__ (the socket it made before taking fd=)
        # and at the end of serve_forever; our shutdown closes too.
        if not hasattr(self, "_dispatcher") or self._closed.is_set():
            super().server_close()
            return
        self._closed.set()
        self._dispatcher.join(timeout=5)
        with self._lock:
            for key in list(self._waiting.get_map().values()):
                self._waiting.unregister(key.fileobj)
                self.shutdown_request(cast(socket.socket, key.fileobj))
            self._waiting.close()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().server_close()


class ReleaseApp:
    """WSGI app: GET/HEAD of regular files under ``root``; nothing else."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        environ["wsgi.file_wrapper"] = _file_wrapper
        try:
            response = self._respond(request)
        except HTTPException as exc:
            response = exc.get_response(environ)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
        relative = request.path.lstrip("/")
        if any(ord(c) < 32 or c == "\x7f" for c in relative):
            raise BadRequest()
        if not relative or not _published(relative):
            raise NotFound()
        candidate = Path(os.path.realpath(self.root / relative))
        if not candidate.is_relative_to(self.root):
            raise NotFound()
        header = request.environ.get("HTTP_RANGE")
        if header is not None:
            parsed = parse_range_header(header)
            if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
                # RFC 9110 14.2: a Range we cannot honour (malformed, or
                # several ranges, or not bytes) is ignored: the whole file is sent.
                del request.environ["HTTP_RANGE"]
        response = send_from_directory(
            self.root, relative, request.environ, conditional=True, etag=True
        )
        # The HTTP server writes its own Date header; one is enough.
        del response.headers["Date"]
        return response


class ReleaseServer:
    """A running server; ``url`` ends with ``/``."""

    def __init__(self, server: BaseWSGIServer, root: Path) -> None:
        self._server = server
        self.root = root
        self.host: str = server.host
        self.port: int = server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def url_for(self, name: str) -> str:
        return self.url + name.lstrip("/")

    def start(self) -> ReleaseServer:
        # A short poll interval makes shutdown() prompt (tests, demo exit).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="release-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def shutdown(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ReleaseServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()


def make_release_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> ReleaseServer:
    """Bind (``port`` 0 = any free port) without starting to serve."""
    if not root.is_dir():
        raise ConfigError(_("{root}: not a directory").format(root=root))
    if not 0 <= port <= 65535:
        raise ConfigError(_("port {port}: expected 0 to 65535").format(port=port))
    # We bind the socket ourselves: werkzeug's own bind prints two lines and
    # calls sys.exit(1) on failure, which would bypass our one-line errors.
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(128)
            server = _PooledServer(host, port, ReleaseApp(root), _QuietHandler, fd=sock.fileno())
        # HTTPServer.server_bind normally records these; with fd= it is skipped.
        bound = server.socket.getsockname()
        server.server_name, server.server_port = str(bound[0]), int(bound[1])
    except OSError as exc:
        raise NetworkError(
            _("cannot listen on {host}:{port}: {value}").format(
                host=host, port=port, value=exc.strerror or exc
            )
        ) from exc
    logger.info("serving %s on %s:%d", root, host, server.server_port)
    return ReleaseServer(server, root)


def serve_directory(root: Path, host: str = "127.0.0.1", port: int = 0) -> ReleaseServer:
    """Serve ``root`` from a background thread; call ``.shutdown()`` when done."""
    return make_release_server(root, host, port).start()


def iter_files(root: Path) -> Iterator[Path]:
    """Regular files a client could fetch (for the CLI's start-up listing)."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and _published(str(path.relative_to(root))):
            yield path.relative_to(root)
