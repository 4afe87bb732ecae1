"""A first `spark serve` on an empty home: seconds until /healthz and a search answer.

    python benchmarks/bench_first_serve.py [--port 8799]

Starts the real command as a subprocess (MiniLM, the default knowledge-base build in the
background), creates a reader key first, then polls: the seconds from starting the
process to the first 200 from /healthz and to the first answered search, beside the
build's progress at that moment. One run; quote the load average with it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

SPARK = str(Path(sys.executable).with_name("spark"))


def until(check: Callable[[], bool], started: float, limit: float = 120.0) -> float:
    while time.monotonic() - started < limit:
        try:
            if check():
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise SystemExit("no answer within the limit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="spark-first-serve-")
    created = subprocess.run(
        [
            SPARK,
            "--home",
            home,
            "keys",
            "create",
            "--org",
            "acme",
            "--agent",
            "bench",
            "--role",
            "reader",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(created.stdout)["secret"]
    url = f"http://127.0.0.1:{args.port}"
    started = time.monotonic()
    with open(os.path.join(home, "serve.log"), "w") as log:
        server = subprocess.Popen(
            [SPARK, "--home", home, "serve", "--port", str(args.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        healthz = until(lambda: httpx.get(f"{url}/healthz", timeout=5).status_code == 200, started)
        search = until(
            lambda: (
                httpx.post(
                    f"{url}/v1/search",
                    json={"query": "sort an array descending"},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=60,
                ).status_code
                == 200
            ),
            started,
        )
        build = httpx.get(f"{url}/v1/kb/build", headers={"Authorization": f"Bearer {key}"}).text
    finally:
        server.terminate()
        server.wait()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"/healthz answered after {healthz:.2f} s; first search after {search:.2f} s")
    print(f"build then: {build[:300]}")


if __name__ == "__main__":
    main()
