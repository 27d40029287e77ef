"""The example's application: migrates its schema at start, then answers /health.

Each file of migrations/ runs once, in name order, in its own transaction,
and is recorded in schema_migrations: a migration that fails leaves the ones
before it committed (which is what a rollback must undo from the backup).
``app.py health`` is the compose healthcheck: 200 from /health or exit 1.
"""

from __future__ import annotations

import http.server
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2

MIGRATIONS = Path(__file__).with_name("migrations")
PORT = int(os.environ["APP_PORT"])


def connect(wait_s: float = 60) -> psycopg2.extensions.connection:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return psycopg2.connect(
                host="127.0.0.1",
                port=int(os.environ["PG_PORT"]),
                user="postgres",
                password=os.environ["PG_PASSWORD"],
                dbname="postgres",
                connect_timeout=3,
            )
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise
            print(f"waiting for the database: {str(exc).strip()}", flush=True)
            time.sleep(1)


def wanted() -> list[str]:
    return sorted(p.name for p in MIGRATIONS.glob("*.sql"))


def migrate() -> None:
    conn = connect()
    with conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
    for name in wanted():
        with conn, conn.cursor() as cur:  # one transaction: committed whole or not at all
            cur.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (name,))
            if cur.fetchone():
                continue
            print(f"migrating: {name}", flush=True)
            cur.execute((MIGRATIONS / name).read_text(encoding="utf-8"))
            cur.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (name,))
    conn.close()
    print(f"schema at {wanted()[-1]}", flush=True)


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        try:
            conn = connect(wait_s=0)
            with conn, conn.cursor() as cur:
                cur.execute("SELECT version FROM schema_migrations")
                applied = {row[0] for row in cur.fetchall()}
            conn.close()
            missing = sorted(set(wanted()) - applied)
            status, body = (503, f"missing {missing}") if missing else (200, "ok")
        except psycopg2.Error as exc:
            status, body = 503, f"database: {exc}".strip()
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


def _stop(signum: int, _frame: object) -> None:
    # PID 1 gets no default SIGTERM action: without this, every stop would wait
    # out the grace period and end in a SIGKILL (which tui-upgrader reports).
    raise SystemExit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    if sys.argv[1:] == ["health"]:
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=3).read()
        return
    migrate()
    http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Health).serve_forever()


if __name__ == "__main__":
    main()
