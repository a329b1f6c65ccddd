"""`lambdatop demo`: the simulated account on its own, for other terminals to point at."""

from __future__ import annotations

import argparse
import sys

from lambdatop.exit_codes import fail


def run_demo(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        return fail("--speed must be positive")
    if not 0 <= args.port <= 65535:
        return fail("--port must be between 0 and 65535")
    if not args.no_ui and not args.list:
        # The monitor first: its account is started in a process of its own (moto is not
        # imported here, issue 14)
        from lambdatop.commands.monitor import run_demo_monitor

        return run_demo_monitor(args)
    try:
        from lambdatop.demo.runner import run_demo_command
    except ImportError as error:
        return fail(
            f"the simulated account needs the demo extra ({error.name}): "
            "pip install 'lambdatop[demo]'"
        )
    try:
        return run_demo_command(
            port=args.port,
            speed=args.speed,
            scenarios=args.scenario,
            no_ui=True,
            list_only=args.list,
            out=sys.stdout,
        )
    except ValueError as error:
        return fail(str(error))
    except OSError as error:
        return fail(f"cannot start the simulated account: {error.strerror or error}")
