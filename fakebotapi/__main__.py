"""`python -m fakebotapi [--port 0] [--limit N] [--reuse-port]`: the fake Bot API server in a
process of its own, for benchmarks that must not share an event loop (or a CPU) with it. It
prints the port it listens on (127.0.0.1 only), then serves until SIGTERM or SIGINT; a driver
acts as users through the control endpoints described in `fakebotapi.control`. Several
processes can share one port (`--reuse-port`, each with its share of `--limit`): each is then
given its users on the command line and writes its messages' times to a file on exit."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from fakebotapi.control import MAX_USERS, serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fakebotapi", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument(
        "--limit", type=int, default=0, help="messages a second taken overall (0: no limit)"
    )
    parser.add_argument(
        "--reuse-port", action="store_true", help="let several server processes share the port"
    )
    parser.add_argument(
        "--users", type=int, nargs=2, metavar=("FIRST", "COUNT"), help="private chats to create"
    )
    parser.add_argument(
        "--times-file", type=Path, help="on exit, write every message's arrival time here (JSON)"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535 or args.limit < 0:
        parser.error("--port must be 0..65535 and --limit 0 or more")
    if args.users and not (args.users[0] >= 1 and 0 <= args.users[1] <= MAX_USERS):
        parser.error(f"--users takes FIRST >= 1 and COUNT up to {MAX_USERS}")
    asyncio.run(
        serve(
            args.port,
            args.limit or None,
            reuse_port=args.reuse_port,
            users=range(args.users[0], sum(args.users)) if args.users else range(0),
            times_file=args.times_file,
        )
    )


if __name__ == "__main__":
    main()
