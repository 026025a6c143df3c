"""``python -m tests.kong_emulator --port 8001 [--proxy-port 8000] [--db-less] [--admin-token T]
[--latency-ms 5] [--quiet]``."""

from __future__ import annotations

import argparse
import threading

import uvicorn

from . import create_emulator, create_proxy


def main() -> None:
    parser = argparse.ArgumentParser(description="In-memory Kong Admin API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--proxy-port", type=int, default=0, help="also serve the gateway proxy side")
    parser.add_argument("--db-less", action="store_true")
    parser.add_argument("--admin-token", default=None)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="sleep this long in every Admin API request"
    )
    parser.add_argument("--quiet", action="store_true", help="no per-request access log (benchmarks)")
    args = parser.parse_args()
    admin = create_emulator(args.db_less, admin_token=args.admin_token, latency=args.latency_ms / 1000)
    log_level = "warning" if args.quiet else "info"
    if args.proxy_port:
        proxy = uvicorn.Server(
            uvicorn.Config(
                create_proxy(admin),
                host=args.host,
                port=args.proxy_port,
                lifespan="off",
                log_level=log_level,
                access_log=not args.quiet,
            )
        )
        threading.Thread(target=proxy.run, daemon=True).start()
    uvicorn.run(
        admin, host=args.host, port=args.port, lifespan="off", log_level=log_level, access_log=not args.quiet
    )


if __name__ == "__main__":
    main()
