"""`python -m fakebotapi [--port 0] [--limit N] [--reuse-port]`: the fake Bot API server in a
process of its own, for benchmarks that must not share an event loop (or a CPU) with it. It
prints the port it listens on (127.0.0.1 only), then serves until SIGTERM or SIGINT; a driver
acts as users through the control endpoints described in `fakebotapi.control`."""

from __future__ import annotations

import argparse
import asyncio

from fakebotapi.control import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakebotapi", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument(
        "--limit", type=int, default=0, help="messages a second taken overall (0: no limit)"
    )
    parser.add_argument(
        "--reuse-port", action="store_true", help="let several server processes share the port"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or args.limit < 0:
        parser.error("--port must be 0..65535 and --limit 0 or more")
    asyncio.run(serve(args.port, args.limit or None, reuse_port=args.reuse_port))


if __name__ == "__main__":
    main()
