"""Sync on tiles (issue 15): a mirror's catch-up read from C2SP tiles, and tile
reads served by nginx from a published folder against the node itself.

    .venv/bin/python bench/tile_sync.py [--records 100000] [--http] [--profile DIR] [--seconds 20] [--connections 16]

Catch-up: node A (a real `node serve` process, over TLS unless `--http`) holds
N records; node B pulls them in one sync round from A's tiles — entry bundles,
and every consistency proof computed from hash tiles — with every check of a
catch-up (each leaf's form, chain link, signature, trust and kind rules, each
chunk's proof, the final root). In the same run the verify-only loop of
`sync_bench.py` goes over the same leaves once before and once after; the ratio
to their mean is the figure that binds (target ≥ 0.8). The round must have
read A's log from tiles, or the script stops.

Tile reads: A's log published with `log publish`'s code, served by nginx with
docs/nginx-tlog.conf, and the same tiles served by A; wrk asks both for random
full hash tiles and entry bundles (half each, `Accept-Encoding: gzip`, as a
tlog-tiles client asks) over plain HTTP, and prints requests/s and p99 of each.
Needs `wrk` and `nginx` (Debian packages).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import PLUGIN, machine  # sets sys.path
from sync_bench import catch_up, free_port, start

import citychain.net.log_sources as log_sources  # noqa: E402
import citychain.net.sync as sync  # noqa: E402
from citychain.accounts.users import Argon2Params  # noqa: E402
from citychain.log import tiles  # noqa: E402
from citychain.log.keys import KdfCost  # noqa: E402
from citychain.node.publish import publish_home  # noqa: E402
from democity.build import create_demo_city  # noqa: E402

A = "market-regulation"
NGINX_SNIPPET = Path(__file__).resolve().parent.parent / "docs" / "nginx-tlog.conf"
LUA = """
math.randomseed(42)
local paths = { %(paths)s }
request = function()
  return wrk.format("GET", paths[math.random(1, #paths)], { ["Accept-Encoding"] = "gzip" })
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%.0f requests/s, p50 %%.2f ms, p99 %%.2f ms, errors %%d, %%.1f MB/s\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    summary.bytes / (summary.duration / 1e6) / 1e6))
end
"""


def read_via_tiles() -> list[str]:
    """Record how the sync loop reads each log (tiles or routes) from now on."""
    seen: list[str] = []
    opened = sync.open_source

    def recording(client, agency, *args, **kwargs):
        source = opened(client, agency, *args, **kwargs)
        seen.append(f"{agency}:{source.via}")
        return source

    sync.open_source = recording
    return seen


def nginx(root: Path, work: Path, port: int) -> subprocess.Popen:
    """nginx on 127.0.0.1:`port` serving `root` with docs/nginx-tlog.conf (one worker per core)."""
    work.mkdir()
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    temp = " ".join(f"{kind}_temp_path {work}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (work / "nginx.conf").write_text(
        f"""{user} daemon off; worker_processes auto; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; {temp}
  server {{ listen 127.0.0.1:{port}; root {root}; include {NGINX_SNIPPET}; }} }}
"""
    )
    proc = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(work), "-c", str(work / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def wrk(url: str, script: Path, seconds: int, connections: int) -> str:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return next(line for line in out.splitlines() if line.startswith("RESULT"))[7:]


def tile_reads(city, tmp: Path, records: int, seconds: int, connections: int) -> tuple[str, str]:
    """wrk against nginx serving the published folder, then against the node."""
    www = tmp / "www"
    publish_home(city.home(A) / "ledger.sqlite", www)
    full = records // tiles.TILE_WIDTH
    paths = [f"/tlog/{A}/{tiles.Tile(level, i).path}" for i in range(full) for level in (0, tiles.ENTRIES)]
    script = tmp / "tiles.lua"
    script.write_text(LUA % {"paths": ", ".join(f'"{p}"' for p in paths)})
    for path in paths[:2]:
        assert (www / path.lstrip("/")).is_file(), path
    port = free_port()
    server = nginx(www, tmp / "nginx", port)
    try:
        from_nginx = wrk(f"http://127.0.0.1:{port}", script, seconds, connections)
    finally:
        server.terminate()
        server.wait()
    port = free_port()
    node = start(city.home(A), port, [])
    try:
        assert (
            requests.get(f"http://127.0.0.1:{port}{paths[1]}", timeout=5).content
            == (www / paths[1].lstrip("/")).read_bytes()
        )
        from_node = wrk(f"http://127.0.0.1:{port}", script, seconds, connections)
    finally:
        node.terminate()
        node.wait()
    return from_nginx, from_node


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000, help="log size (100,000 is the binding one)")
    parser.add_argument("--http", action="store_true", help="catch up over plain HTTP instead of TLS")
    parser.add_argument("--profile", type=Path, help="write client.prof and server.prof (cProfile) here")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per server")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--identity", action="store_true", help="the mirror asks for bundles uncompressed (to see what gzip costs)"
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is not installed: apt-get install {tool}")
    print(f"machine: {machine()}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        city = create_demo_city(Path(tmp) / "city", (PLUGIN,), cost=KdfCost.cheap(), argon2=Argon2Params.fast())
        seen = read_via_tiles()
        if args.identity:
            log_sources.ACCEPT = {"Accept-Encoding": "identity"}
        result = catch_up(city, args.records, not args.http, args.profile)
        if f"{A}:tiles" not in seen or any(s.endswith(":routes") for s in seen):
            sys.exit(f"the catch-up did not read {A} from tiles: {seen}")
        how = "plain HTTP" if args.http else "TLS (server certificate checked against the city CA)"
        how += ", bundles uncompressed" if args.identity else ", bundles gzipped"
        print(
            f"catch-up of {args.records:,} records from the peer's tiles over {how}, all verified: "
            f"{result.rate:,.0f} records/s ({result.seconds:.1f} s)"
        )
        print(
            "verify-only loop over the same records (parse, leaf hash, signature, tree), mean of one run before "
            f"and one after: {result.verify_rate:,.0f} records/s "
            f"(before {args.records / result.verify_before:,.0f}/s, after {args.records / result.verify_after:,.0f}/s)"
        )
        print(f"ratio catch-up from tiles / verify-only: {result.rate / result.verify_rate:.2f} (target ≥ 0.8)")
        print(
            f"CPU seconds: catch-up {result.cpu_client:.1f} (client, all threads) + {result.cpu_server:.1f} (server); "
            f"verify-only {result.cpu_verify:.1f}"
        )
        from_nginx, from_node = tile_reads(city, Path(tmp), args.records, args.seconds, args.connections)
        what = f"random full hash tiles and entry bundles of the {args.records:,}-record log, {args.connections} connections"
        print(f"tile reads, {what}:")
        print(f"  nginx, published folder: {from_nginx}")
        print(f"  the node (/tlog routes): {from_node}")


if __name__ == "__main__":
    main()
