"""Edge plane: event sources, API Gateway in front, and the errors invocations end with."""

from __future__ import annotations

import re
from collections import Counter

from lambdatop.core import metrics as m
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation, Status
from lambdatop.core.sanitize import one_line
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import clock, count, pct, samples
from lambdatop.diagnose.model import CheckResult, CheckStatus, Plane, Step
from lambdatop.diagnose.thresholds import Thresholds

# The words a failure leaves in the log, for error types Lambda names but never prints.
# What to search the logs for to find invocations that failed with an error type: the
# words Lambda writes, where the type is a name of lambdatop's own or too common a word.
_LOG_WORDS = {
    "Sandbox.Timedout": "Task timed out",
    "Rust.Panic": "panicked at",
    "PHP.FatalError": "PHP Fatal error",
    "Runtime.OutOfMemory": "Runtime exited",
    "Runtime.ExitError": "Runtime exited",
    "Init.timeout": "INIT_REPORT",
    "Init.error": "INIT_REPORT",
}
# The same in JSON-format logs, where the platform's events carry the status.
_JSON_PATTERNS = {
    "Sandbox.Timedout": '{ $.record.status = "timeout" }',
    "Runtime.OutOfMemory": '{ $.record.errorType = "Runtime.OutOfMemory" }',
    "Runtime.ExitError": '{ $.record.errorType = "Runtime.ExitError" }',
    "Init.timeout": '{ $.type = "platform.initReport" && $.record.status = "timeout" }',
    "Init.error": '{ $.type = "platform.initReport" && $.record.status = "error" }',
}
_TOO_COMMON = frozenset(("Error", "Exception", "Unhandled", "error"))
# Error types whose words in the log are several: a filter pattern of alternatives.
_PATTERNS = {
    "Function.ResponseSizeTooLarge": (
        '?"Failed to post handler success response" ?"exceeded maximum allowed payload size"'
        ' ?"ResponseSizeTooLarge"'
    ),
}
# What to do about an error type whose cause is Lambda's limit, not the code.
_TYPE_FIXES = {
    "Function.ResponseSizeTooLarge": (
        "Fix: the result is over Lambda's 6 MB response limit, and the caller got an error"
        " (API Gateway a 502 or 413): return a pointer instead (put the body in S3 and return"
        " a presigned URL), compress it, page it, or stream the response"
    ),
}


def _failure_search(cmd: Commands, error_type: str) -> Step:
    """The search for the invocations that failed with `error_type`."""
    if error_type in _PATTERNS:
        return cmd.filter_logs(_PATTERNS[error_type])
    words = _LOG_WORDS.get(error_type, error_type)
    # A filter pattern's quoted term cannot hold a quote: search the longest piece without.
    text = f'"{max(words.split(chr(34)), key=len)}"'
    return cmd.filter_reports(text, _JSON_PATTERNS.get(error_type, text))


_POISON_MIN = 3


def check_invocation_errors(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult(
        "invocation_errors",
        Plane.EDGE,
        CheckStatus.OK,
        "",
        steps=[
            cmd.insights(
                "fields @timestamp, @requestId, @message"
                " | filter @message like /(?i)(error|exception)/"
                " | sort @timestamp desc | limit 50"
            )
        ],
    )
    reported = ev.reported
    metric_errors = ev.metric_total(m.ERRORS)
    metric_invocations = ev.metric_total(m.INVOCATIONS)
    if not reported:
        if metric_errors is not None and metric_invocations:
            rate = metric_errors / metric_invocations
            result.evidence.append(
                f"CloudWatch: {metric_errors:,.0f} errors in {metric_invocations:,.0f} invocations"
            )
            result.status = (
                CheckStatus.FAIL
                if rate >= limits.error_rate_fail
                else CheckStatus.WARN
                if rate >= limits.error_rate_warn
                else CheckStatus.OK
            )
            result.title = (
                f"{pct(metric_errors, metric_invocations)} of invocations failed (CloudWatch)"
            )
            return result
        result.status = CheckStatus.UNKNOWN
        result.title = "No completed invocations in the window"
        return result
    failed = [inv for inv in reported if inv.failed]
    types = Counter(_error_name(inv.status, inv.error_type) for inv in failed)
    rate = len(failed) / len(reported)
    share = pct(len(failed), len(reported))
    result.evidence = [f"{len(failed):,} of {count(len(reported), 'invocation')} failed ({share})"]
    if metric_errors is not None and metric_invocations:
        result.evidence.append(
            f"CloudWatch Errors {metric_errors:,.0f} of {metric_invocations:,.0f}"
            f" ({pct(metric_errors, metric_invocations)})"
        )
    for name, n in types.most_common(4):
        result.evidence.append(f"{name} ×{n}")
    init = ev.family(ErrorFamily.INIT)
    # The init errors that failed invocations; an init that failed and was retried in the
    # invocation's own time (`Phase: invoke`) and then served it hurt nobody.
    hit: set[str | None] = {inv.request_id for inv in failed if ErrorFamily.INIT in inv.families}
    hit |= {f.request_id for f in init} & {inv.request_id for inv in failed}
    init_led = bool(hit) and 2 * len(hit) >= len(failed)
    result.evidence.extend(samples(init if init_led else ev.failures or init))
    if rate >= limits.error_rate_fail:
        result.status = CheckStatus.FAIL
    elif rate >= limits.error_rate_warn:
        result.status = CheckStatus.WARN
    if failed:
        top, top_n = types.most_common(1)[0]
        message = _common_message(ev, failed, top) if top in _TOO_COMMON else None
        named = f'{top}("{message}")' if message else top
        result.title = (
            f"{len(failed):,} of {count(len(reported), 'invocation')} failed ({share}),"
            f" most with {named} (×{top_n})"
        )
        if message == "Unauthorized" and top_n == len(failed):
            # An API Gateway Lambda authorizer answers 401 by throwing exactly this.
            result.evidence.insert(
                1,
                'a Lambda authorizer throws "Unauthorized" to answer 401: these are callers'
                " denied (an expired or missing token), not the code failing",
            )
            if result.status is CheckStatus.FAIL:
                result.status = CheckStatus.WARN
        if top not in _TOO_COMMON:
            result.steps.insert(0, _failure_search(cmd, top))
        if top in _TYPE_FIXES:
            result.steps.append(Step(_TYPE_FIXES[top]))
        _since_a_change(result, reported, limits, cmd)
        _cold_only(result, reported, failed)
        _retried(result, reported, cmd)
    else:
        result.title = "No failed invocations"
    if result.status is CheckStatus.OK:
        _handled_errors(ev, result, limits, cmd)
    if init:
        signature = Counter(
            f.classification.signature for f in init if f.classification
        ).most_common(1)[0][0]
        if not init_led:
            _init_aside(ev, result, init, hit, signature)
            return result
        result.status = CheckStatus.FAIL
        restores = all(f.line.text.startswith("RESTORE_") for f in init)
        kind = "SnapStart restore error" if restores else "Deploy or init error"
        result.title = f"{kind}: {signature}"
        # Most invocations fail, and most of those failed in init: nothing else can be judged
        # until the code starts.
        result.leads = 2 * len(failed) >= len(reported)
        modified = ev.config.last_modified if ev.config else None
        if modified:
            first_sample = next(
                (i for i, item in enumerate(result.evidence) if item.startswith("›")),
                len(result.evidence),
            )
            result.evidence.insert(first_sample, f"function last modified {modified}")
        result.steps.append(cmd.lambda_function("list-versions-by-function"))
        result.steps.append(_deploy_fix(init))
    return result


def _init_aside(
    ev: Evidence, result: CheckResult, init: list[Finding], hit: set[str | None], signature: str
) -> None:
    """Init errors that are not what the invocations fail with: the few that failed in init
    (a bad version already rolled back), or none (an init that timed out and succeeded when
    run again): said, and warned of, but no rollback advised."""
    last = max(f.timestamp_ms for f in init)
    when = clock(last)
    if hit:
        result.evidence.insert(
            1,
            f"also {count(len(hit), 'invocation')} failed in init ({signature}), the last at"
            f" {when}",
        )
    elif _next_failed(ev, init):
        result.evidence.insert(
            1,
            f"init error: {signature} ({count(len(init), 'line')}, the last at {when}); the"
            " invocations that followed failed too: the init ran again inside them, against"
            " their timeout",
        )
    else:
        result.evidence.insert(
            1,
            f"init error, then served: {signature} ({count(len(init), 'line')}, the last at"
            f" {when}); the invocations that followed succeeded",
        )
        if result.status is CheckStatus.OK:
            result.title = f"Init error, recovered: {signature}"
    if result.status is CheckStatus.OK:
        result.status = CheckStatus.WARN


def _next_failed(ev: Evidence, init: list[Finding]) -> bool:
    """Whether most init errors were followed, in their environment, by an invocation that
    failed."""
    by_stream: dict[str, list[Invocation]] = {}
    for inv in ev.reported:
        by_stream.setdefault(inv.stream, []).append(inv)
    failed = 0
    for finding in init:
        after = [
            inv
            for inv in by_stream.get(finding.stream, [])
            if (inv.end_ms or 0) >= finding.timestamp_ms
        ]
        first = min(after, key=lambda inv: inv.start_ms or inv.end_ms or 0, default=None)
        failed += first is not None and first.failed
    return 2 * failed > len(init)


# What a deploy's own words point at, beyond rolling back.
_DEPLOY_CAUSES = (
    (
        "restore_report",
        "a SnapStart restore failed: what the snapshot held went stale (connections, credentials,"
        " random seeds); reopen connections and refresh them in an after-restore hook"
        " (Python `@register_after_restore`, Java CRaC `afterRestore`, .NET"
        " `RegisterAfterRestore`), and keep the hook within the 10 s restore limit",
    ),
    (
        "exec format error",
        "the image or binary was built for the other architecture: rebuild it for the"
        " function's (`get-function-configuration --query Architectures`), or switch the"
        " function to the image's",
    ),
    (
        "command not found",
        "the bootstrap calls a program the runtime does not have: bundle it, or use a layer",
    ),
    (
        "launcherror",
        "an extension (a layer) failed to start: check the function's layers"
        " (`get-function-configuration --query Layers`) and the extension's own settings (its"
        " API key, its environment variables), or remove the layer",
    ),
    (
        "permission denied",
        "a file in the package is not executable or readable: chmod 755 the bootstrap and"
        " binaries before zipping",
    ),
)


def _deploy_fix(init: list[Finding]) -> Step:
    text = " ".join(f.line.text.lower() for f in init[:50])
    cause = next((fix for words, fix in _DEPLOY_CAUSES if words in text), None)
    if cause is None:
        return Step(
            "Fix: roll back to the last good version (point the alias at it), then check the "
            "package contents and the handler setting"
        )
    return Step(f"Fix: {cause}; meanwhile, roll back to the last good version (the alias)")


def _handled_errors(ev: Evidence, result: CheckResult, limits: Thresholds, cmd: Commands) -> None:
    """Invocations that succeeded while logging errors (a batch's failed records returned for
    retry, a fallback taken): not failures, but a share worth a warning."""
    succeeded = {inv.request_id for inv in ev.reported if not inv.failed}
    logged = [f for f in ev.logged_errors if f.request_id in succeeded]
    affected = {f.request_id for f in logged}
    if not succeeded or len(affected) / len(succeeded) < limits.error_rate_warn:
        return
    share = pct(len(affected), len(succeeded))
    result.status = CheckStatus.WARN
    result.title = (
        f"{count(len(affected), 'invocation')} logged errors but succeeded ({share}):"
        " handled, or hidden from the Errors metric"
    )
    result.evidence.append(
        f"{count(len(logged), 'line')} at ERROR level in {count(len(affected), 'invocation')}"
        " that did not fail (a batch's failed records are retried, a caller got a fallback)"
    )
    result.evidence.extend(samples(logged))
    result.steps.insert(0, cmd.filter_logs('"ERROR"'))


def _retried(result: CheckResult, reported: list[Invocation], cmd: Commands) -> None:
    """Requests that ran again under the same id: Lambda's retries of asynchronous events."""
    retried = [inv for inv in reported if inv.attempts > 1]
    if not retried:
        return
    failed = sum(1 for inv in retried if inv.failed)
    result.evidence.insert(
        1,
        f"{count(len(retried), 'request')} ran again under the same id (asynchronous retries,"
        f" {sum(inv.attempts for inv in retried):,} runs); {failed:,} of them failed a run",
    )
    result.steps.append(cmd.lambda_function("get-function-event-invoke-config"))
    result.steps.append(
        Step(
            "Fix: give asynchronous events an on-failure destination (or a dead-letter queue)"
            " so an event that fails every retry is kept, not dropped"
        )
    )


def _one_version_failing(
    result: CheckResult, ordered: list[Invocation], limits: Thresholds, cmd: Commands
) -> None:
    """Versions served side by side (a weighted alias shifting traffic): the failures all on
    one of them say which to take out of the alias."""
    by_version: dict[str, list[Invocation]] = {}
    for inv in ordered:
        if inv.version:
            by_version.setdefault(inv.version, []).append(inv)
    if len(by_version) < 2 or any(len(runs) < _MIN_SIDE for runs in by_version.values()):
        return
    rates = {v: sum(1 for inv in runs if inv.failed) / len(runs) for v, runs in by_version.items()}
    bad = [v for v, rate in rates.items() if rate >= limits.error_rate_fail]
    if len(bad) != 1:
        return
    version = bad[0]
    failed = sum(1 for inv in by_version[version] if inv.failed)
    calm = all(rate < limits.error_rate_warn for v, rate in rates.items() if v != version)
    if failed < _POISON_MIN or not calm:
        return
    others = ", ".join(
        f"version {v}: {sum(1 for inv in runs if inv.failed)} of {len(runs)}"
        for v, runs in by_version.items()
        if v != version
    )
    result.title = (
        f"Errors only on version {version}: {failed} of {len(by_version[version])} failed"
        f" ({others})"
    )
    result.evidence.insert(1, f"versions served side by side; the failures are version {version}'s")
    good = next(v for v in by_version if v != version)
    result.steps.append(
        cmd.lambda_function(
            "update-alias",
            f" --name '<alias>' --function-version {good}"
            " --routing-config '{\"AdditionalVersionWeights\": {}}'",
            changes=True,
        )
    )


def _cold_only(result: CheckResult, reported: list[Invocation], failed: list[Invocation]) -> None:
    """Failures that come only with a cold start point at what the init sets up."""
    warm = [inv for inv in reported if not inv.cold]
    if len(failed) < 3 or len(warm) < _MIN_SIDE or any(not inv.cold for inv in failed):
        return
    if any(ErrorFamily.INIT in inv.families for inv in failed):
        return  # an init that fails never serves warm: the deploy is the story
    result.evidence.insert(
        1,
        f"every failure was a cold start ({len(failed):,} of {len(failed):,}); of"
        f" {count(len(warm), 'warm invocation')}, none failed",
    )
    result.steps.append(
        Step(
            "Fix: look at what the first invocation of an environment does that later ones do"
            " not: config or secrets fetched at start, connections opened, caches warmed (give"
            " them retries and timeouts that fit inside the function's)"
        )
    )


_MIN_SIDE = 5
"""Invocations needed on each side of a change to compare them."""


def _since_a_change(
    result: CheckResult, reported: list[Invocation], limits: Thresholds, cmd: Commands
) -> None:
    """Failures that began with a new version or memory size (a deploy that broke it), or that
    stopped with one (fixed already): said in the title, with the rollback or the all-clear."""
    ordered = sorted(reported, key=lambda inv: inv.start_ms or inv.end_ms or 0)
    changes = [
        i
        for i in range(1, len(ordered))
        if (ordered[i].version, ordered[i].memory_size_mb)
        != (ordered[i - 1].version, ordered[i - 1].memory_size_mb)
    ]
    if len(changes) > 1:
        _one_version_failing(result, ordered, limits, cmd)  # a weighted alias's canary
        return
    if not changes:
        return
    before, after = ordered[: changes[0]], ordered[changes[0] :]
    if len(before) < _MIN_SIDE or len(after) < _MIN_SIDE:
        return
    old, new = before[-1], after[0]
    if old.version != new.version:
        what = f"version {new.version}" if new.version else "a new version"
    elif old.memory_size_mb and new.memory_size_mb:
        what = f"memory {old.memory_size_mb} → {new.memory_size_mb} MB"
    else:
        return
    at = clock(new.start_ms or new.end_ms or 0)
    failed_before = sum(1 for inv in before if inv.failed)
    failed_after = sum(1 for inv in after if inv.failed)
    rate_before, rate_after = failed_before / len(before), failed_after / len(after)
    tail = before[-max(_MIN_SIDE, len(before) // 4) :]
    if (
        failed_before
        and not failed_after
        and any(inv.failed for inv in tail)  # still failing when the change came
        and (1 - rate_before) ** len(after) < 0.05  # no failure since is not luck
    ):
        result.title = (
            f"{failed_before:,} failed before {what} at {at}; none of the {len(after):,} since"
        )
        result.evidence.insert(1, f"failures stopped with {what} at {at}")
        if result.status is CheckStatus.FAIL:
            result.status = CheckStatus.WARN
        return
    calm_before = rate_before < min(limits.error_rate_warn, rate_after / 4)
    if rate_after >= limits.error_rate_fail and calm_before and failed_after >= _POISON_MIN:
        result.title = (
            f"Errors began with {what} at {at}: {failed_after:,} of {len(after):,} failed since,"
            f" {failed_before:,} of {len(before):,} before"
        )
        result.evidence.insert(1, f"errors began with {what} at {at}")
        result.steps.append(
            Step(
                f"Check: a dependency failing since {at} would look the same: do the errors"
                " name one?"
            )
        )
        if old.version != new.version and old.version and old.version != "$LATEST":
            result.steps.append(
                cmd.lambda_function(
                    "update-alias",
                    f" --name '<alias>' --function-version {old.version}",
                    changes=True,
                )
            )
        elif old.version == new.version and old.memory_size_mb:
            result.steps.append(cmd.update(f"--memory-size {old.memory_size_mb}"))
        else:
            result.steps.append(
                Step("Fix: roll back to what ran before (the previous version or deployment)")
            )


_ERROR_MESSAGE = re.compile(r'"errorMessage"\s*:\s*"(?P<message>(?:[^"\\]|\\.){1,120})"')


def _common_message(ev: Evidence, failed: list[Invocation], error_type: str) -> str | None:
    """The message most of the failures of a generic error type (`Error`, `Exception`) carry,
    when one does: `Error("Unauthorized")` says more than `Error`."""
    ids = {inv.request_id for inv in failed if inv.error_type == error_type}
    messages: Counter[str] = Counter()
    for finding in ev.failures:
        if finding.request_id not in ids or finding.line.error_type != error_type:
            continue
        text = finding.line.text[:4000]
        found = _ERROR_MESSAGE.search(text)
        if found is not None:
            messages[one_line(found.group("message"), 80)] += 1
        elif (at := text.find(f"{error_type}: ")) >= 0:
            messages[one_line(text[at + len(error_type) + 2 :].split("\n", 1)[0], 80)] += 1
    if not messages:
        return None
    message, n = messages.most_common(1)[0]
    return message if message and 2 * n > len(ids) else None


def _error_name(status: Status, error_type: str | None) -> str:
    if error_type:
        return error_type
    return {
        Status.TIMEOUT: "Sandbox.Timedout",
        Status.OUT_OF_MEMORY: "Runtime.OutOfMemory",
        Status.CRASHED: "Runtime.ExitError",
    }.get(status, "Unhandled")
