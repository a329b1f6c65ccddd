"""The service plane's verdicts, decided from hand-built figures at their thresholds and either
side of them, with mixed outcomes; and the few figures a one-character slip would get wrong,
measured from real log lines."""

from __future__ import annotations

import dataclasses

import pytest
from expect import config, run, with_config
from lambdalogs import FUNCTION, REGION, T0, Logs, evidence, py

from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.checks import cold_start, memory, permission, throttling, timeout
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus, MemoryGrowth
from lambdatop.diagnose.thresholds import Thresholds

OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN
LIMITS = Thresholds()


def bare() -> Evidence:
    """Evidence with nothing in it: the advice is written from the figures."""
    ev = Evidence(FUNCTION, REGION, T0, T0 + 3_600_000)
    ev.config = config()
    return ev


# --- cold_start ------------------------------------------------------------------------------


def cold(**changes: object) -> cold_start.ColdStartFigures:
    base = cold_start.ColdStartFigures(
        logs_read=True, invocations=100, cold=0, after_idle=0, restores=0
    )
    return base._replace(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"invocations": 0}, UNKNOWN, "No completed invocations in the window"),
        ({"invocations": 0, "logs_read": False}, UNKNOWN, "Logs not read"),
        ({}, OK, "Cold starts 0.0 %"),
        # A storm takes a quarter of invocations cold and an init p99 of 3 s, both.
        ({"cold": 25, "init_p99_ms": 3000.0}, FAIL, "Cold-start storm: 25 % of invocations"),
        ({"cold": 24, "init_p99_ms": 3000.0}, WARN, "24 % of invocations started cold"),
        ({"cold": 25, "init_p99_ms": 2999.0}, WARN, "25 % of invocations started cold"),
        # A share warns from 5 % once the init is notable (1 s); a fast init is fine.
        ({"cold": 5, "init_p99_ms": 1000.0}, WARN, "5.0 % of invocations started cold"),
        ({"cold": 4, "init_p99_ms": 1000.0}, OK, "Cold starts 4.0 %, init p99 1.0 s"),
        ({"cold": 5, "init_p99_ms": 999.0}, OK, "Cold starts 5.0 %, init p99 999 ms"),
        # Under 20 invocations a share means nothing: only a slow init warns.
        ({"invocations": 19, "cold": 19, "init_p99_ms": 2999.0}, OK, "Cold starts 100 %"),
        ({"invocations": 20, "cold": 20, "init_p99_ms": 2999.0}, WARN, "100 % of invocations"),
        ({"invocations": 19, "cold": 19, "init_p99_ms": 3000.0}, WARN, "100 % of invocations"),
        # Within 10 % of the 10 s init limit, one slower start is cut off.
        ({"cold": 1, "init_p99_ms": 8999.0}, WARN, "1.0 % of invocations started cold"),
        ({"cold": 1, "init_p99_ms": 9000.0}, FAIL, "Init p99 9.0 s: at the 10 s init limit"),
        ({"cold": 1, "init_p99_ms": 10_000.0}, FAIL, "Init p99 10.0 s: at the 10 s init limit"),
        ({"cold": 1, "init_p99_ms": 10_001.0}, WARN, "1.0 % of invocations started cold"),
    ],
)
def test_the_cold_start_verdict(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = cold_start.verdict(cold(**changes), LIMITS)
    assert decided.status is status
    assert title in decided.title


@pytest.mark.parametrize(
    ("after_idle", "status", "reason"),
    [
        (16, WARN, cold_start.Reason.AFTER_IDLE),  # more than half came after idling
        (15, FAIL, cold_start.Reason.STORM),  # exactly half: a storm
    ],
)
def test_cold_starts_after_idling_are_excused_only_when_most_are(
    after_idle: int, status: CheckStatus, reason: cold_start.Reason
) -> None:
    figures = cold(cold=30, after_idle=after_idle, init_p99_ms=3000.0)
    decided = cold_start.verdict(figures, LIMITS)
    assert (decided.status, decided.reason) == (status, reason)


def test_a_burst_after_a_quiet_night_is_still_a_storm() -> None:
    # 31 of 60 cold starts came after idling, but the other 29 are 29 % of invocations.
    figures = cold(cold=60, after_idle=31, init_p99_ms=3000.0)
    assert cold_start.verdict(figures, LIMITS).reason is cold_start.Reason.STORM
    figures = cold(cold=52, after_idle=27, init_p99_ms=3000.0)  # the other 25 %: a storm
    assert cold_start.verdict(figures, LIMITS).reason is cold_start.Reason.STORM
    figures = cold(cold=50, after_idle=26, init_p99_ms=3000.0)  # the other 24 %: excused
    assert cold_start.verdict(figures, LIMITS).reason is cold_start.Reason.AFTER_IDLE


@pytest.mark.parametrize(
    ("changes", "title", "reason"),
    [
        ({"init_timeouts": 1}, "1 init ran out of the 10 s init limit", "INIT_TIMED_OUT"),
        ({"reinit_timeouts": 2}, "2 inits re-run in an invocation timed out", "REINIT_TIMED_OUT"),
        (
            {"init_timeouts": 1, "reinit_timeouts": 1},
            "1 init ran out of the 10 s init limit",
            "INIT_TIMED_OUT",
        ),
    ],
)
def test_an_init_that_timed_out_fails_even_with_no_invocation_complete(
    changes: dict[str, object], title: str, reason: str
) -> None:
    decided = cold_start.verdict(cold(invocations=0, **changes), LIMITS)
    assert decided.status is FAIL
    assert decided.title == title
    assert decided.reason is cold_start.Reason[reason]


def test_cold_start_fixes_come_only_with_a_finding() -> None:
    ev = bare()
    healthy = cold(cold=2, init_p99_ms=300.0)
    stormy = cold(cold=40, init_p99_ms=4000.0)
    calm = cold_start.advise(healthy, cold_start.verdict(healthy, LIMITS), ev)
    storm = cold_start.advise(stormy, cold_start.verdict(stormy, LIMITS), ev)
    assert not any(step.fix for step in calm.steps)
    assert storm.steps[-1] == cold_start.FIX_INIT


# --- timeout ---------------------------------------------------------------------------------


def timing(**changes: object) -> timeout.TimeoutFigures:
    base = timeout.TimeoutFigures(
        logs_read=True, invocations=100, p50_ms=900.0, p99_ms=2000.0, max_ms=2500.0, timeout_s=10.0
    )
    return base._replace(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"invocations": 0}, UNKNOWN, "No completed invocations in the window"),
        ({}, OK, "No timeouts; p99 2.0 s of 10 s timeout"),
        # p99 warns from 80 % of the timeout.
        ({"p99_ms": 8000.0}, WARN, "p99 duration 8.0 s of 10 s timeout: close to timing out"),
        ({"p99_ms": 7999.0}, OK, "No timeouts; p99 8.0 s of 10 s timeout"),
        ({"p99_ms": 60_000.0, "timeout_s": None}, OK, "No timeouts; p99 60.0 s"),
        # One timeout among successes fails.
        ({"timed_out": 1}, FAIL, "1 invocation timed out at 10 s (1.0 %)"),
        ({"timed_out": 3, "timeout_s": None}, FAIL, "3 invocations timed out (3.0 %)"),
    ],
)
def test_the_timeout_verdict(changes: dict[str, object], status: CheckStatus, title: str) -> None:
    decided = timeout.verdict(timing(**changes), LIMITS)
    assert decided.status is status
    assert decided.title == title


def test_timeouts_are_caused_by_what_they_waited_on_logged_first_then_timed() -> None:
    waited = (
        timeout.WaitedOn(ErrorFamily.DATABASE, logged=2),
        timeout.WaitedOn(ErrorFamily.NETWORK, near=3, baseline=0.1),
    )
    figures = timing(timed_out=3, waited_on=waited)
    decided = timeout.verdict(figures, LIMITS)
    assert decided.caused_by == ("database", "vpc")
    advice = timeout.advise(figures, decided, bare())
    assert (
        "2 of the 3 timed-out invocations also logged database errors: a slow dependency, not"
        " the timeout, is the cause" in advice.evidence
    )
    assert any(
        line.startswith("3 of the 3 timeouts came within minutes of network errors (10%")
        for line in advice.evidence
    )
    assert timeout.FIX_WAIT in advice.steps
    assert not any("more memory means more CPU" in step.text for step in advice.steps)


@pytest.mark.parametrize(("held", "looks_at_the_handler"), [(3, False), (2, True)])
def test_timeouts_held_open_by_an_extension_spare_the_handler_only_when_all_were(
    held: int, looks_at_the_handler: bool
) -> None:
    figures = timing(timed_out=3, extension_held=held, handler_p50_ms=120.0)
    advice = timeout.advise(figures, timeout.verdict(figures, LIMITS), bare())
    assert f"{held} of them had returned in 120 ms" in " ".join(advice.evidence)
    assert timeout.FIX_EXTENSION in advice.steps
    assert (timeout.FIX_WAIT in advice.steps) is looks_at_the_handler


@pytest.mark.parametrize(("succeeded_p99_ms", "raises"), [(5001.0, True), (5000.0, False)])
def test_a_longer_timeout_is_suggested_when_successes_need_over_half_of_it(
    succeeded_p99_ms: float, raises: bool
) -> None:
    figures = timing(timed_out=2, succeeded_p99_ms=succeeded_p99_ms)
    advice = timeout.advise(figures, timeout.verdict(figures, LIMITS), bare())
    assert any("--timeout 8" in step.text for step in advice.steps) is raises


def test_cold_timeouts_are_not_said_to_have_spent_their_init_inside_the_timeout() -> None:
    """Cold starts among the successes and the timeouts, no init re-run in an invocation."""
    logs = Logs()
    for _ in range(3):
        env = logs.stream()
        logs.invoke(env, init_ms=700.0, duration_ms=200.0)
        for _ in range(5):
            logs.invoke(env, duration_ms=150.0)
    logs.invoke(logs.stream(), init_ms=800.0, timeout_s=10.0)  # cold, and timed out
    warm = logs.stream()
    logs.invoke(warm, duration_ms=100.0)
    logs.invoke(warm, timeout_s=10.0)
    logs.invoke(warm, timeout_s=10.0)
    result = run(with_config(logs, timeout_s=10.0), "timeout")
    assert result.evidence[0] == "3 of 22 invocations timed out at 10 s"
    # an on-demand init runs before the invocation, outside its timeout
    assert not [line for line in result.evidence if "counts against the timeout" in line]


# --- memory ----------------------------------------------------------------------------------


def mem(**changes: object) -> memory.MemoryFigures:
    base = memory.MemoryFigures(
        logs_read=True, invocations=100, size_mb=1024, peak_mb=600, p50_mb=400.0, p99_mb=590.0
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def leak(stream: str = "2026/03/02/[$LATEST]abc123", last_mb: int = 700) -> MemoryGrowth:
    return MemoryGrowth(stream, 300, last_mb, 1024, 8, (last_mb - 300) / 7)


NODE_HEAP = memory.HEAP_LIMITS[0][1]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"invocations": 0}, UNKNOWN, "No completed invocations in the window"),
        ({"size_mb": None, "peak_mb": None}, UNKNOWN, "No memory figures in the REPORT lines"),
        ({}, OK, "Max memory used 600 / 1024 MB"),
        # 90 % of 1024 MB is 921.6 MB.
        ({"peak_mb": 922}, WARN, "Max memory used 922 / 1024 MB: close to the limit"),
        ({"peak_mb": 921}, OK, "Max memory used 921 / 1024 MB"),
        ({"size_mb": 1000, "peak_mb": 900}, WARN, "Max memory used 900 / 1000 MB: close to"),
        ({"size_mb": 1000, "peak_mb": 899}, OK, "Max memory used 899 / 1000 MB"),
        # Over-provisioned: at most a quarter of a size of 256 MB or more, over 20 invocations.
        (
            {"peak_mb": 256, "monthly_saving_usd": 5.2, "suggested_mb": 384},
            WARN,
            "Over-provisioned: at most 256 of 1024 MB used; 384 MB saves about $5 a month",
        ),
        ({"peak_mb": 257, "monthly_saving_usd": 5.2}, OK, "Max memory used 257 / 1024 MB"),
        ({"peak_mb": 256, "invocations": 19}, OK, "Max memory used 256 / 1024 MB"),
        ({"peak_mb": 256, "invocations": 20}, WARN, "Over-provisioned: at most 256 of 1024 MB"),
        ({"size_mb": 255, "peak_mb": 40}, OK, "Max memory used 40 / 255 MB"),
        ({"size_mb": 256, "peak_mb": 64}, WARN, "Over-provisioned: at most 64 of 256 MB used"),
        ({"peak_mb": 100, "monthly_saving_usd": 0.99}, OK, "Max memory used 100 / 1024 MB"),
        ({"peak_mb": 100, "monthly_saving_usd": 1.0}, WARN, "saves about $1 a month"),
        ({"peak_mb": 100, "buys_cpu": "2 invocations timed out"}, OK, "Max memory used 100"),
    ],
)
def test_the_memory_verdict(changes: dict[str, object], status: CheckStatus, title: str) -> None:
    decided = memory.verdict(mem(**changes), LIMITS)
    assert decided.status is status
    assert title in decided.title


@pytest.mark.parametrize(
    ("changes", "status", "reason", "title"),
    [
        (
            {"out_of_memory": 2, "out_of_memory_at_mb": 1024},
            FAIL,
            "OUT_OF_MEMORY",
            "2 invocations ran out of memory at 1024 MB",
        ),
        # A runtime's heap below the function's memory ran out: its own limit.
        (
            {"out_of_memory": 2, "heap": NODE_HEAP},
            FAIL,
            "HEAP",
            "2 invocations ran out of the Node.js heap",
        ),
        (
            {"out_of_memory": 2, "out_of_memory_at_mb": 1024, "heap": NODE_HEAP, "peak_mb": 922},
            FAIL,
            "OUT_OF_MEMORY",
            "2 invocations ran out of memory at 1024 MB",
        ),
        (
            {"growth": (leak(),)},
            WARN,
            "LEAK",
            "Memory grows in 1 execution environment (300 → 700 / 1024 MB): a leak",
        ),
        (
            {"growth": (leak(last_mb=950), leak("b")), "peak_mb": 950},
            WARN,
            "LEAK_NEAR_LIMIT",
            "Memory grows in 2 execution environments (300 → 950 / 1024 MB): a leak",
        ),
        (
            {"growth": (leak(),), "out_of_memory": 1, "out_of_memory_at_mb": 1024},
            FAIL,
            "OUT_OF_MEMORY",
            "1 invocation ran out of memory at 1024 MB",
        ),
    ],
)
def test_running_out_and_growing(
    changes: dict[str, object], status: CheckStatus, reason: str, title: str
) -> None:
    decided = memory.verdict(mem(**changes), LIMITS)
    assert (decided.status, decided.reason, decided.title) == (status, memory.Reason[reason], title)


def test_memory_raised_past_an_out_of_memory_only_warns() -> None:
    change = memory.SizeChange(512, "09:30", interleaved=False)
    raised = mem(change=change, raised_since=3, peak_mb=None)
    decided = memory.verdict(raised, LIMITS)
    assert decided.status is WARN
    assert decided.title == (
        "3 invocations ran out of memory at 512 MB; none since it was raised to 1024 MB at 09:30"
    )
    quiet = memory.verdict(mem(change=change, peak_mb=None), LIMITS)
    assert (quiet.status, quiet.title) == (
        OK,
        "Memory size changed to 1024 MB at 09:30; no REPORT since",
    )


def test_memory_advice_follows_the_branch_taken() -> None:
    ev = bare()
    leaking = mem(growth=(leak(),))
    near_leak = mem(growth=(leak(last_mb=950),), peak_mb=950)
    heap = mem(out_of_memory=2, heap=NODE_HEAP)
    steps = {
        "leak": memory.advise(leaking, memory.verdict(leaking, LIMITS), ev).steps,
        "near": memory.advise(near_leak, memory.verdict(near_leak, LIMITS), ev).steps,
        "heap": memory.advise(heap, memory.verdict(heap, LIMITS), ev).steps,
    }
    assert memory.FIX_LEAK in steps["leak"]
    assert not any("--memory-size" in step.text for step in steps["leak"])
    assert any("--memory-size 1536" in step.text for step in steps["near"])
    assert any("NODE_OPTIONS to --max-old-space-size=768" in step.text for step in steps["heap"])
    assert not any("--memory-size" in step.text for step in steps["heap"])


def test_the_growth_evidence_names_two_environments_and_counts_the_rest() -> None:
    growing = tuple(leak(f"env-{n}", last_mb=700 - n) for n in range(4))
    figures = mem(growth=growing)
    advice = memory.advise(figures, memory.verdict(figures, LIMITS), bare())
    assert advice.growth == growing
    lines = [line for line in advice.evidence if line.startswith("environment ")]
    assert lines == [
        "environment env-0: 300 → 700 / 1024 MB over 8 invocations (+57.1 MB each, at the"
        " limit in ~6 more)",
        "environment env-1: 300 → 699 / 1024 MB over 8 invocations (+57.0 MB each, at the"
        " limit in ~6 more)",
    ]
    assert "2 more environments grow the same way" in advice.evidence


def growing(rise_mb: int, size_mb: int) -> Logs:
    """Three environments: two flat, one rising by `rise_mb` over six invocations."""
    logs = Logs()
    flat = [logs.stream(), logs.stream()]
    leaking = logs.stream()
    for step in range(6):
        for env in flat:
            logs.invoke(env, memory_mb=size_mb, used_mb=120)
        logs.invoke(leaking, memory_mb=size_mb, used_mb=100 + round(rise_mb * step / 5))
    return logs


@pytest.mark.parametrize(
    ("rise_mb", "size_mb", "leaks"),
    [(103, 512, True), (102, 512, False), (100, 500, True), (99, 500, False)],
)
def test_a_leak_in_one_environment_of_several_is_found_at_a_fifth_of_the_size(
    rise_mb: int, size_mb: int, leaks: bool
) -> None:
    """A fifth of 512 MB is 102.4 MB; of 500 MB, 100 MB."""
    logs = growing(rise_mb, size_mb)
    result = run(evidence(logs), "memory")
    assert (result.status is WARN) is leaks
    if leaks:
        (growth,) = result.growth
        figures = (growth.first_mb, growth.last_mb, growth.size_mb, growth.invocations)
        assert figures == (100, 100 + rise_mb, size_mb, 6)
        assert growth.stream == logs.events[-1].stream
        assert "growth" not in result.to_json()  # the reports say it in words
    else:
        assert result.growth == ()


@pytest.mark.parametrize(
    ("size", "used", "read"),
    [("2 GB", "1.5 GB", "1536 / 2048 MB"), ("512 MB", "102400 KB", "100 / 512 MB")],
)
def test_memory_reported_in_other_units_is_read_in_megabytes(
    size: str, used: str, read: str
) -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(3):
        rid = logs.invoke(env, report=False, app=[py("INFO", "working")])
        logs.emit(
            env,
            logs.clock_ms - 900,
            f"REPORT RequestId: {rid}\tDuration: 80.00 ms\tBilled Duration: 81 ms\t"
            f"Memory Size: {size}\tMax Memory Used: {used}\t",
        )
    result = run(evidence(logs), "memory")
    assert result.title == f"Max memory used {read}"


# --- permission ------------------------------------------------------------------------------

GET_OBJECT = permission.Denied("s3:GetObject", "arn:aws:s3:::invoices/*", 4)
APP_RULE = permission.Denied("denied access to profile", "", 2)


def perm(**changes: object) -> permission.PermissionFigures:
    base = permission.PermissionFigures(
        logs_read=True,
        lines=500,
        denials=4,
        denied=(GET_OBJECT,),
        invocations=4,
        failed=4,
        execution_role="checkout-api-role",
    )
    return base._replace(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"logs_read": False}, UNKNOWN, "Logs not read"),
        ({"lines": 0}, UNKNOWN, "No log lines in the window"),
        ({"denials": 0, "denied": ()}, OK, "No access denied in the logs"),
        ({}, FAIL, "Access denied: s3:GetObject on arn:aws:s3:::invoices/*"),
        # Denials every invocation coped with warn; an application's own rule is not IAM.
        (
            {"coped": True, "failed": 0},
            WARN,
            "Access denied: s3:GetObject on arn:aws:s3:::invoices/*",
        ),
        ({"coped": True, "failed": 0, "denied": (APP_RULE,)}, OK, "No IAM access denied"),
        (
            {"coped": True, "failed": 0, "denied": (APP_RULE, GET_OBJECT)},
            WARN,
            "Access denied: denied access to profile (+1 other action)",
        ),
        (
            {"coped": True, "failed": 0, "denied": (APP_RULE,), "aws_said": True},
            WARN,
            "Access denied: denied access to profile",
        ),
        ({"coped": False, "denied": (APP_RULE,)}, FAIL, "Access denied: denied access to profile"),
        (
            {"denied": (GET_OBJECT, APP_RULE, permission.Denied("kms:Decrypt", "", 1))},
            FAIL,
            "Access denied: s3:GetObject on arn:aws:s3:::invoices/* (+2 other actions)",
        ),
    ],
)
def test_the_permission_verdict(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = permission.verdict(perm(**changes), LIMITS)
    assert decided.status is status
    assert decided.title == title


def test_with_an_explicit_deny_nothing_is_granted_in_the_role() -> None:
    """The check says allowing it in the role will not help: no Allow policy follows."""
    kms = permission.Denied("kms:Decrypt", "arn:aws:kms:eu-west-1:1:key/k", 2)
    figures = perm(denied=(GET_OBJECT, kms), explicit=True)
    advice = permission.advise(figures, permission.verdict(figures, LIMITS), bare())
    assert permission.EXPLICIT in advice.evidence
    assert permission.FIX_EXPLICIT in advice.steps
    texts = [step.text for step in advice.steps]
    assert not [t for t in texts if t.startswith("Fix: allow") or "put-role-policy" in t]
    assert any("--action-names kms:Decrypt" in t for t in texts)


def test_a_denied_assumed_role_gets_the_grant_not_the_execution_role() -> None:
    figures = perm(assumed_role="reports-reader")
    advice = permission.advise(figures, permission.verdict(figures, LIMITS), bare())
    assert any(line.startswith("denied principal: role reports-reader") for line in advice.evidence)
    assert any(step.text.startswith("Fix: allow the role reports-reader:") for step in advice.steps)
    assert "--role-name reports-reader" in advice.steps[-1].text  # the put-role-policy


# --- throttling ------------------------------------------------------------------------------


def thr(**changes: object) -> throttling.ThrottlingFigures:
    base = throttling.ThrottlingFigures(
        metrics_read=True, lines_read=True, invocations=95.0, peak_concurrency=10.0, reported=95
    )
    return base._replace(**changes)  # type: ignore[arg-type]


DYNAMODB = {"downstream": 3, "services": (("dynamodb", 3),), "lead": "dynamodb"}


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"metrics_read": False}, UNKNOWN, throttling.NO_METRICS),
        ({"metrics_read": False, "lines_read": False}, UNKNOWN, throttling.NOTHING_READ),
        ({}, OK, "No throttling"),
        # Any throttle warns; 5 % of requests fails.
        ({"throttles": 5.0}, FAIL, "5 requests throttled (5.0 %)"),
        ({"throttles": 4.0, "invocations": 96.0}, WARN, "4 requests throttled (4.0 %)"),
        ({"throttles": 1.0, "reserved": 50}, WARN, "1 requests throttled at reserved concurrency"),
        # Close to the cap: 90 % of reserved, else of the account's limit.
        ({"peak_concurrency": 45.0, "reserved": 50}, WARN, "Concurrency 45 of 50 reserved"),
        ({"peak_concurrency": 44.0, "reserved": 50}, OK, "No throttling"),
        ({"peak_concurrency": 900.0, "account_limit": 1000}, WARN, "900 of 1,000 account"),
        ({"peak_concurrency": 899.0, "account_limit": 1000}, OK, "No throttling"),
        # Downstream throttling in 1 % of invocations fails, unless every one coped.
        ({**DYNAMODB, "downstream_invocations": 1, "reported": 100}, FAIL, "dynamodb throttles"),
        ({**DYNAMODB, "downstream_invocations": 1, "reported": 101}, WARN, "dynamodb throttles"),
        ({**DYNAMODB, "downstream_invocations": 5, "coped": True}, WARN, "dynamodb throttles"),
        (
            {**DYNAMODB, "downstream_invocations": 3, "metrics_read": False},
            FAIL,
            "dynamodb throttles",
        ),
        (
            {**DYNAMODB, "throttles": 1.0, "downstream_invocations": 2, "coped": True},
            WARN,
            "1 requests throttled (1.0 %); dynamodb throttles this function's calls",
        ),
    ],
)
def test_the_throttling_verdict(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = throttling.verdict(thr(**changes), LIMITS)
    assert decided.status is status
    assert title in decided.title


def test_reserved_concurrency_is_raised_to_the_demand_with_headroom() -> None:
    # 50 throttled of 150 requests at 50 concurrent: demand 75, reserve 90.
    figures = thr(throttles=50.0, invocations=100.0, peak_concurrency=50.0, reserved=50)
    advice = throttling.advise(figures, throttling.verdict(figures, LIMITS), bare())
    assert "demand about 75 concurrent executions (concurrency 50 × 150 requests / 100 served)" in (
        advice.evidence
    )
    assert "--reserved-concurrent-executions 90" in advice.steps[-1].text


def test_a_throttling_dependency_leaves_lambdas_own_concurrency_out() -> None:
    figures = thr(**DYNAMODB, downstream_invocations=3)
    advice = throttling.advise(figures, throttling.verdict(figures, LIMITS), bare())
    assert not any("get-account-settings" in step.text for step in advice.steps)
    assert advice.steps[-1] == throttling.FIX_RETRY
    assert "WriteThrottleEvents" in advice.steps[0].text


def test_reserved_concurrency_is_raised_by_one_at_least() -> None:
    # 1 throttled of 101 requests at 10 concurrent: demand 10, yet the cap of 100 was hit.
    figures = thr(throttles=1.0, invocations=100.0, peak_concurrency=10.0, reserved=100)
    advice = throttling.advise(figures, throttling.verdict(figures, LIMITS), bare())
    assert "--reserved-concurrent-executions 101" in advice.steps[-1].text
