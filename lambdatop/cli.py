"""The `lambdatop` command: the monitor, and its headless `diagnose`, `tail` and `demo`.

Exit codes (lambdatop/exit_codes.py): 0 all well (no failing check), 1 a check failed, 2 bad
usage, unreadable input, or AWS unreachable / no credentials, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NoReturn, TextIO, cast

from lambdatop import __version__
from lambdatop.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, fail

_AWS_HELP = """
AWS access follows the AWS CLI: --profile/AWS_PROFILE, --region/AWS_REGION/AWS_DEFAULT_REGION,
--endpoint-url/AWS_ENDPOINT_URL, and ~/.aws/config and credentials (SSO and assumed roles
included). lambdatop only reads: see the README for the least-privilege IAM policy.
"""


class _Parser(argparse.ArgumentParser):
    """Errors as one line with a pointer to --help, exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(EXIT_USAGE)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30, width=100)


def _add_aws(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    group = parser.add_argument_group("AWS")
    if several:
        # The monitor watches a fleet: every profile given, in every region given.
        group.add_argument(
            "--profile",
            metavar="P",
            action="append",
            help="AWS profile; repeat to watch several accounts as one fleet "
            "(default: profiles in the config file, else AWS_PROFILE)",
        )
        group.add_argument(
            "--region",
            metavar="R",
            action="append",
            help="AWS region; repeat for several, each read with every profile "
            "(default: regions in the config file, else AWS_REGION)",
        )
    else:
        group.add_argument("--profile", metavar="P", help="AWS profile (default: AWS_PROFILE)")
        group.add_argument("--region", metavar="R", help="AWS region (default: AWS_REGION)")
    group.add_argument(
        "--endpoint-url", metavar="URL", help="AWS endpoint, e.g. an emulator (AWS_ENDPOINT_URL)"
    )


def _add_live_tail(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--live-tail",
        action="store_true",
        default=None,
        help="stream logs with CloudWatch Live Tail, billed about $0.01 a minute a session "
        "(default: poll; or live_tail in the config file)",
    )


def _add_linked(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--linked-accounts",
        action="store_true",
        help="in a CloudWatch cross-account monitoring account: FUNCTION given as an ARN of a "
        "source account is read as NAME@ACCOUNT is, through this account",
    )


_LINKED_HELP = """
a source account's function, from a CloudWatch cross-account monitoring account:
  FUNCTION as NAME@ACCOUNT (e.g. checkout@210987654321), or its ARN with --linked-accounts, is
  read through the monitoring account (the credentials'): its log group by ARN, its metrics by
  AccountId, its X-Ray traces where its link shares them. Its configuration (timeout, memory,
  VPC, event sources) is the source account's and is reported as unknown. NAME@ACCOUNT of
  the credentials' own account is that account's function, read whole; an account neither
  theirs nor linked to theirs is one line and exit 2.
"""


def _add_redact(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redact",
        action="store_true",
        help="mask account ids (************), IPs (10.x.x.x) and host names, to share the "
        "output in an incident channel (config: redact = true)",
    )


def monitor_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lambdatop",
        formatter_class=_formatter,
        description="top for AWS Lambda: live logs, metrics, traces and a diagnosis of what is "
        "failing, for the on-call engineer.",
        epilog="""commands:
  lambdatop [FUNCTION ...]             the monitor: the fleet, or these functions opened
  lambdatop diagnose FUNCTION          diagnose a function from AWS, print a report
  lambdatop diagnose --logs FILE       diagnose exported logs (no AWS needed)
  lambdatop tail FUNCTION [--follow]   print a function's logs, exactly once each
  lambdatop demo                       run the simulated AWS account on its own
  lambdatop --demo                     the monitor against the simulated account

several accounts and regions:
  --profile and --region repeat: every profile is read in every region (profiles × regions, as
  k9s's contexts), each with its own session, pacing and API-call count, shown as one fleet with
  account and region columns; `x` switches between all of them merged and one at a time. A
  profile whose credentials fail (an expired SSO login) is named in the banner and the fleet's
  title while the others go on. `profiles` and `regions` in the config file say the same; with
  neither, AWS_PROFILE and AWS_REGION name the one context, as for the AWS CLI.
  --linked-accounts adds, in a CloudWatch cross-account monitoring account, the functions of
  its source accounts (from their log groups and metrics).

examples:
  lambdatop --demo
  lambdatop checkout-api --profile prod --region eu-west-1
  lambdatop --profile prod --profile staging --region eu-west-1 --region us-east-1
  lambdatop diagnose checkout-api --since 30m --format markdown > incident.md
  aws logs filter-log-events --log-group-name /aws/lambda/checkout-api > logs.json
  lambdatop diagnose --logs logs.json

Run `lambdatop COMMAND --help` for a command's options. Settings live in
$XDG_CONFIG_HOME/lambdatop/config.toml (see the README)."""
        + _AWS_HELP,
    )
    parser.add_argument("functions", nargs="*", metavar="FUNCTION", help="functions to open")
    parser.add_argument("--version", action="version", version=f"lambdatop {__version__}")
    parser.add_argument(
        "--refresh", type=float, metavar="SECONDS", help="screen refresh interval (default 2)"
    )
    parser.add_argument(
        "--window", choices=("15m", "1h", "3h", "12h"), help="time window (default 1h)"
    )
    parser.add_argument(
        "--demo", action="store_true", help="run against a simulated account on this machine"
    )
    _add_live_tail(parser)
    parser.add_argument(
        "--linked-accounts",
        action="store_true",
        default=None,
        help="in a CloudWatch cross-account monitoring account: its source accounts' functions "
        "too, from their log groups and metrics (config: linked_accounts = true)",
    )
    _add_aws(parser, several=True)
    _add_redact(parser)
    return parser


def diagnose_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lambdatop diagnose",
        formatter_class=_formatter,
        description="Walk the Lambda debugging flowchart for one function and print what fails, "
        "with evidence and the next commands to run.",
        epilog="""input:
  FUNCTION            read logs, metrics, configuration, traces, event sources and API Gateway
                      from AWS for the window (read-only)
  --logs FILE         read exported logs instead (FILE '-' is stdin): the JSON of
                      `aws logs filter-log-events`, JSON Lines of its events (what
                      `lambdatop tail --format jsonl` prints), Logs Insights results (JSON or
                      CSV download, get-query-results), subscription records, the answer of
                      `aws lambda invoke --log-type Tail`, or plain text, one event a line
                      (raw, an S3 export, or as `aws logs tail`, `sam logs`, `serverless logs`,
                      `cw tail`, `saw` print it). With --logs, FUNCTION picks its log group
                      from an export of several, and with --region fills in the suggested
                      commands.

window:
  --since is counted back from now for AWS (default 1h), and from the newest event for
  --logs (default: the whole export; a note says what a shorter window leaves out). A duration
  takes a unit: 90s, 15m, 1.5h, 2d, or several: 1h30m, 2d12h (a bare 5 is refused).

exit codes:
  0  no check failed     1  at least one check failed
  2  bad usage, unreadable or malformed input, AWS unreachable or no credentials

examples:
  lambdatop diagnose payments --since 30m
  lambdatop diagnose payments --format json | jq '.checks[] | select(.status == "fail")'
  aws logs filter-log-events --log-group-name /aws/lambda/payments > p.json
  lambdatop diagnose payments --logs p.json --format markdown > incident.md
  lambdatop diagnose checkout@210987654321 --profile monitoring"""
        + _LINKED_HELP
        + _AWS_HELP,
    )
    parser.add_argument("function", nargs="?", metavar="FUNCTION", help="the function")
    parser.add_argument("--logs", metavar="FILE", help="diagnose exported logs ('-' for stdin)")
    parser.add_argument(
        "--since",
        metavar="DURATION",
        help="window: 15m, 1h30m, 2d (default: the last 1h from AWS; all of a --logs export)",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (auto: on a terminal, unless NO_COLOR is set)",
    )
    parser.add_argument(
        "--insights",
        choices=("auto", "always", "never"),
        default="auto",
        help="count the window with CloudWatch Logs Insights (auto: when it holds more than"
        " 1,000,000 events; the newest 50,000 are then read for quoting)",
    )
    parser.add_argument(
        "--max-scan",
        metavar="SIZE",
        help="the most a Logs Insights count may scan ($0.005 a GB; default 5GB)",
    )
    parser.add_argument(
        "--allow-scan", action="store_true", help="let the count scan more than --max-scan"
    )
    _add_redact(parser)
    _add_linked(parser)
    _add_aws(parser)
    return parser


def tail_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lambdatop tail",
        formatter_class=_formatter,
        description="Print a function's log events across all its log streams, each exactly once, "
        "late and out-of-order arrivals included.",
        epilog="""output:
  text    for a person: time, short stream id, the line (sanitised)
  jsonl   one FilterLogEvents event a line: eventId, logStreamName, timestamp (epoch ms),
          message; feed it to `lambdatop diagnose --logs -`

examples:
  lambdatop tail payments --since 15m --follow
  lambdatop tail payments --filter ERROR --format jsonl > errors.jsonl
  lambdatop tail payments --since 1h --format jsonl | lambdatop diagnose payments --logs -
  lambdatop tail checkout@210987654321 --follow --profile monitoring

Ctrl-C ends --follow cleanly (exit 0)."""
        + _LINKED_HELP
        + _AWS_HELP,
    )
    parser.add_argument("function", metavar="FUNCTION", help="the function")
    parser.add_argument(
        "--since",
        default="5m",
        metavar="DURATION",
        help="start this far back: 90s, 15m, 1h30m (default 5m)",
    )
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new events")
    parser.add_argument(
        "--filter", metavar="TERM", help="only events matching this CloudWatch filter term"
    )
    parser.add_argument(
        "--format", choices=("text", "jsonl"), default="text", help="output format (see output)"
    )
    _add_live_tail(parser)
    _add_redact(parser)
    _add_linked(parser)
    _add_aws(parser)
    return parser


def demo_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lambdatop demo",
        formatter_class=_formatter,
        description="Run the simulated AWS account (a real AWS API endpoint on 127.0.0.1, with "
        "functions living through the debugging guide's incidents) and print how to point "
        "lambdatop, `lambdatop diagnose`, `lambdatop tail` or the AWS CLI at it.",
        epilog="""examples:
  lambdatop demo --list
  lambdatop demo --port 5555 --speed 10
  lambdatop demo --no-ui --scenario checkout-payments

Ctrl-C stops it cleanly.""",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    parser.add_argument(
        "--speed", type=float, default=1.0, help="compress the incidents' timeline (default 1)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="only this function/incident (repeatable)",
    )
    parser.add_argument("--no-ui", action="store_true", help="serve only; do not open the monitor")
    parser.add_argument("--list", action="store_true", help="list functions and their incidents")
    return parser


class OutputLost(Exception):
    """Standard output cannot take more (a reader that stopped, a full disk): not a bug of ours."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Output:
    """Standard output whose write failures are known to be the output's: an OSError from
    `write` is told apart from one of ours (which would be a bug) without guessing by errno."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as error:
            raise OutputLost(error) from error

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise OutputLost(error) from error

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextmanager
def _guarded_output() -> Iterator[None]:
    """sys.stdout as an `_Output` while a command runs (and as it was after, for callers)."""
    original = sys.stdout
    sys.stdout = cast(TextIO, _Output(original))
    try:
        yield
    finally:
        sys.stdout = original


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Whatever the terminal's encoding, a character it cannot show never stops a report.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    if sys.stdout is None:  # started with `>&-`: Python gives no stream at all
        return fail("cannot write the output: standard output is closed")
    with _guarded_output():
        try:
            code = _dispatch(args)
            sys.stdout.flush()  # a full disk is said here, not at exit
            return code
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except OutputLost as lost:
            return _output_lost(lost.error)
        except Exception as error:  # noqa: BLE001 - a bug of ours still ends in one line
            return fail(_unhandled(error))


def _dispatch(args: list[str]) -> int:
    """Parse the command line, then import and run the command it names: a command's modules
    (Textual, aiobotocore, pydantic) load only once it runs, so --help and --version are instant."""
    if args and args[0] == "diagnose":
        diagnose_args = _bare_functions(diagnose_parser().parse_args(args[1:]))
        if diagnose_args.logs == "-" and sys.stdin is None:  # started with `<&-`
            return fail("cannot read standard input: it is closed")
        from lambdatop.commands.diagnose import run_diagnose

        return run_diagnose(diagnose_args)
    if args and args[0] == "tail":
        tail_args = _bare_functions(tail_parser().parse_args(args[1:]))
        from lambdatop.commands.tail import run_tail

        return run_tail(tail_args)
    if args and args[0] == "demo":
        demo_args = demo_parser().parse_args(args[1:])
        from lambdatop.commands.demo import run_demo

        return run_demo(demo_args)
    monitor_args = _bare_functions(monitor_parser().parse_args(args))
    from lambdatop.commands.monitor import run_monitor

    return run_monitor(monitor_args)


def _bare_functions(namespace: argparse.Namespace) -> argparse.Namespace:
    """FUNCTION as its bare name, whether typed as a name, `name:alias` or an ARN (whose
    region is used when --region is not given): log groups and metrics are the function's. A
    source account's function (`NAME@ACCOUNT`, or an ARN with --linked-accounts) keeps its
    account: `NAME@ACCOUNT`, as a monitoring account's store names it (core/fleet.py)."""

    def bare(text: str) -> str:
        # Loaded for a name given only: `diagnose --logs FILE` alone starts without them.
        from lambdatop.core.names import function_ref

        ref = function_ref(text)
        if ref.region and getattr(namespace, "region", None) is None:
            # The monitor's --region is a list (several regions); the commands' one region.
            namespace.region = [ref.region] if hasattr(namespace, "functions") else ref.region
        if ref.qualifier:
            sys.stderr.write(
                f"lambdatop: note: {ref.name}:{ref.qualifier}: logs and metrics are the"
                f" function's, every version and alias: reading {ref.name}\n"
            )
        if ref.account and (ref.linked or getattr(namespace, "linked_accounts", False)):
            from lambdatop.core.fleet import linked_name

            return linked_name(ref.name, ref.account)
        return ref.name

    if getattr(namespace, "function", None):
        namespace.function = bare(namespace.function)
    if getattr(namespace, "functions", None):
        namespace.functions = [bare(name) for name in namespace.functions]
    return namespace


def _output_lost(error: OSError) -> int:
    """A reader that stopped (`| head -1`) had what it wanted: end quietly. Any other failure
    (a full disk) is said in one line. Either way fd 1 now points at /dev/null, so the text
    still buffered cannot fail again when Python flushes it at exit."""
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
    if isinstance(error, BrokenPipeError):
        return EXIT_OK
    return fail(f"cannot write the output: {error.strerror or error}")


def _unhandled(error: Exception) -> str:
    """The line for an error no command handled: AWS's own (a profile that does not exist, a
    config file that does not parse) in the words `diagnose` uses; anything else is a bug."""
    if "botocore" in sys.modules:  # else no AWS call ran, and the AWS layer is not imported
        from lambdatop.aws.errors import describe, raised_by_aws

        if raised_by_aws(error):
            return describe(error).final
    detail = str(error).splitlines()[0][:200] if str(error) else ""
    return f"unexpected error ({type(error).__name__}: {detail}); please report it"
