"""`check` against a signed (TUF) release store vs the same store unsigned, same run.

One store is built (a small release for two architectures), copied, and the
copy signed with `release keygen` + `release build --sign`-equivalent
signing. Both are served by `tui-upgrader serve` on 127.0.0.1; `tui-upgrader
check --json` runs as a child process against each, alternating, RUNS times.
The signed client is warm (its TUF state exists, as after the first run a
cron job has); the first, cold run is reported apart. The reference is the
same `check` on the unsigned store (allow_unsigned = true).

Last line: {"signed_s", "unsigned_s", "cold_signed_s", "metadata_bytes_cold",
"metadata_bytes_warm", "cpu_signed_s", "cpu_unsigned_s", "cpu_ratio", "ratio"} with
ratio = signed_s / unsigned_s (median wall time, target <= 1.3) and cpu_ratio the same
for the children's CPU time (steadier on a loaded machine).
"""

from __future__ import annotations

import argparse
import compileall
import json
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks._common import REPO, check, emit_result, median, python_env, run_child, start_server
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.keys import generate_keys
from tui_upgrader.ops.release.signing import sign_store
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.trust.anchor import pin_root
from tui_upgrader.ops.upgrade.planning import load_decision

RUNS = 15


def _release(src: Path) -> None:
    (src / "images").mkdir(parents=True)
    (src / "compose.yaml").write_text("services:\n  web:\n    image: bench/web:1\n")
    (src / ".env").write_text("PORT=8080\n")
    (src / "images" / "web.tar").write_bytes(b"image layer bytes\n" * 50_000)


def _config(path: Path, url: str, home: Path, **extra: object) -> Path:
    values = {"manifest": url, "deploy_dir": str(home / "deploy"), **extra}
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument(
        "--quick", action="store_true", help="small size, for CI (scripts/bench_quick.sh)"
    )
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    # As an installed package would be: byte-compiled (PYTHONDONTWRITEBYTECODE
    # would otherwise leave the newest modules compiling from source every run).
    compileall.compile_dir(REPO / "tui_upgrader", quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp_name:
        tmp = Path(tmp_name)
        _release(tmp / "src")
        unsigned = tmp / "unsigned"
        build_release(
            tmp / "src", version=Version.parse("1.1.0"), out=unsigned,
            arches=(Arch.X86_64, Arch.AARCH64),
        )  # fmt: skip
        signed = tmp / "signed"
        shutil.copytree(unsigned, signed)
        keys = generate_keys(tmp / "keys")
        sign_store(signed, keys.keydir)
        home = tmp / "home"
        env = python_env(home)
        data = home / "data" / "tui-upgrader"
        pin_root(Settings(data_dir=data), keys.root.read_bytes(), str(keys.root))
        plain_srv, plain_url = start_server(unsigned, env)
        signed_srv, signed_url = start_server(signed, env)
        try:
            plain_cfg = _config(
                tmp / "plain.toml", plain_url + "manifest.json", home, allow_unsigned=True,
                data_dir=str(tmp / "plain-data"),
            )  # fmt: skip
            signed_cfg = _config(
                tmp / "signed.toml", signed_url + "manifest.json", home, data_dir=str(data)
            )

            cpu: dict[Path, list[float]] = {signed_cfg: [], plain_cfg: []}

            def run(cfg: Path) -> float:
                argv = [sys.executable, "-m", "tui_upgrader", "check", "--json"]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                result = check(run_child([*argv, "--config", str(cfg)], env=env, cwd=REPO), "check")
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                cpu[cfg].append(used)
                body = json.loads(result.stdout)
                assert body["signed"] is (cfg == signed_cfg), body
                return result.seconds

            # The metadata a cold and a warm client fetch, measured in-process.
            settings = Settings(manifest=signed_url + "manifest.json", data_dir=tmp / "probe")
            pin_root(settings, keys.root.read_bytes(), str(keys.root))
            cold_bytes = load_decision(settings).trust.metadata_bytes
            warm_bytes = load_decision(settings).trust.metadata_bytes

            cold = run(signed_cfg)
            run(plain_cfg)  # warm the page cache for the reference too
            signed_times, plain_times = [], []
            for _ in range(runs):
                signed_times.append(run(signed_cfg))
                plain_times.append(run(plain_cfg))
        finally:
            for proc in (plain_srv, signed_srv):
                proc.terminate()
                proc.wait(timeout=10)
    s, u = median(signed_times), median(plain_times)
    # CPU time of the child is steadier than wall time on a shared, loaded machine.
    cs, cu = median(cpu[signed_cfg][1:]), median(cpu[plain_cfg][1:])
    print(f"check, signed (warm TUF state): median {s:.3f} s over {runs} runs")
    print(f"check, unsigned (reference):    median {u:.3f} s over {runs} runs")
    print(f"check, signed, first run (cold): {cold:.3f} s")
    print(f"CPU time per check: signed {cs:.3f} s, unsigned {cu:.3f} s")
    print(f"metadata fetched: {cold_bytes} bytes cold, {warm_bytes} bytes warm")
    emit_result(
        {
            "signed_s": round(s, 3),
            "unsigned_s": round(u, 3),
            "cold_signed_s": round(cold, 3),
            "metadata_bytes_cold": cold_bytes,
            "metadata_bytes_warm": warm_bytes,
            "cpu_signed_s": round(cs, 3),
            "cpu_unsigned_s": round(cu, 3),
            "cpu_ratio": round(cs / cu, 3),
            "ratio": round(s / u, 3),
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
