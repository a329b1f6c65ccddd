"""What several checks read of the invocations is worked out once a diagnosis (evidence.py's
WindowInvocations and CompletedInvocations), skipping sorts when the invocations are in order
already: the report is the one each check would have made walking them itself, in any order."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lambdatop.core.records import ErrorFamily, FunctionConfig, Invocation, Status
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import CompletedInvocations, Evidence
from lambdatop.diagnose.render import to_json

START_MS = 1_772_442_000_000
LEAKING = "2026/03/02/[7]0000000000000000000000000000leak"
STEADY = "2026/03/02/[7]000000000000000000000000000steady"
LATE = "2026/03/02/[8]0000000000000000000000000000late"


def invocation(number: int, stream: str, at_ms: int, **fields: object) -> Invocation:
    """A completed invocation: 180 MB of 512 used, 120 ms, version 7, unless told."""
    values: dict[str, object] = {
        "duration_ms": 120.0,
        "billed_ms": 120.0,
        "memory_size_mb": 512,
        "max_memory_mb": 180,
        "status": Status.SUCCESS,
        "version": "7",
        **fields,
    }
    return Invocation(
        f"00000000-0000-4000-a000-{number:012d}",
        stream,
        start_ms=at_ms,
        end_ms=at_ms + 120,
        reported=True,
        **values,  # type: ignore[arg-type]
    )


def an_incident() -> list[Invocation]:
    """An hour of a function, in time order: one environment leaking memory (200 → 430 of
    512 MB), one steady; after a 10-minute lull, version 8 deployed in a new environment,
    starting cold and failing a third of its invocations."""
    invocations = []
    for n in range(30):
        at = START_MS + n * 60_000
        invocations.append(
            invocation(
                2 * n, LEAKING, at, max_memory_mb=200 + 8 * n, init_ms=310.0 if not n else None
            )
        )
        invocations.append(
            invocation(2 * n + 1, STEADY, at + 1_000, init_ms=290.0 if not n else None)
        )
    for n in range(15):
        at = START_MS + 40 * 60_000 + n * 30_000
        failed = {"status": Status.ERROR, "error_type": "Runtime.ExitError"} if n % 3 == 0 else {}
        invocations.append(
            invocation(100 + n, LATE, at, version="8", init_ms=900.0 if not n else None, **failed)
        )
    return invocations


def evidence(invocations: list[Invocation]) -> Evidence:
    return Evidence(
        function="orders-api",
        region="eu-west-1",
        start_ms=START_MS,
        end_ms=START_MS + 3_600_000,
        config=FunctionConfig("orders-api", memory_mb=512, timeout_s=30),
        invocations=invocations,
        lines=len(invocations) * 3,
    )


def test_the_report_is_the_same_whatever_order_the_invocations_come_in() -> None:
    in_order = an_incident()
    shuffled = in_order[:]
    random.Random(14).shuffle(shuffled)

    report = json.loads(to_json(diagnose(evidence(in_order))))

    assert to_json(diagnose(evidence(shuffled))) == to_json(diagnose(evidence(in_order)))
    checks = {check["id"]: check for check in report["checks"]}
    assert checks["memory"]["title"].startswith("Memory grows in 1 execution environment (200 →")
    assert any("version 8" in line for line in checks["invocation_errors"]["evidence"])
    assert report["summary"]["cold_starts"] == 3


def same(these: list[Invocation], those: list[Invocation]) -> bool:
    """The same invocations in the same order (not merely equal ones)."""
    return list(map(id, these)) == list(map(id, those))


STARTS = st.one_of(st.none(), st.sampled_from([0, -5, 1, 2, 3, 60_000]))
INVOCATIONS = st.lists(
    st.builds(
        lambda n, stream, start, end, used, size, version, status, init, families: Invocation(
            f"r{n}",
            stream,
            start_ms=start,
            end_ms=end,
            max_memory_mb=used,
            memory_size_mb=size,
            version=version,
            status=status,
            init_ms=init,
            families=families,
            reported=True,
        ),
        st.integers(0, 8),
        st.sampled_from(["", "a", "b"]),
        STARTS,
        STARTS,
        st.one_of(st.none(), st.integers(100, 130)),
        st.sampled_from([None, 0, 256, 512]),
        st.sampled_from(["1", "2"]),
        st.sampled_from(list(Status)),
        st.sampled_from([None, 0.0, 300.0]),
        st.sampled_from(
            [frozenset(), frozenset({ErrorFamily.TIMEOUT}), frozenset({ErrorFamily.OUT_OF_MEMORY})]
        ),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(INVOCATIONS)
def test_each_shared_view_is_what_the_checks_worked_out_alone(
    invocations: list[Invocation],
) -> None:
    """Whatever the starts (unknown, 0, negative, tied, out of order): each view is the walk
    the checks made before it was shared."""
    views = CompletedInvocations(invocations)

    assert same(
        views.in_time_order, sorted(invocations, key=lambda inv: inv.start_ms or inv.end_ms or 0)
    )
    assert same(
        views.by_start,
        sorted(
            (inv for inv in invocations if inv.start_ms is not None),
            key=lambda inv: inv.start_ms or 0,
        ),
    )
    with_memory = [inv for inv in invocations if inv.max_memory_mb is not None and inv.stream]
    first_seen = list(dict.fromkeys(inv.stream for inv in with_memory))
    by_stream = {
        stream: sorted(
            (inv for inv in with_memory if inv.stream == stream), key=lambda inv: inv.start_ms or 0
        )
        for stream in first_seen
    }
    assert list(views.memory_by_stream) == first_seen
    for stream, invocations_of_stream in views.memory_by_stream.items():
        assert same(invocations_of_stream, by_stream[stream])
    assert views.memory_sizes == {inv.memory_size_mb for inv in invocations if inv.memory_size_mb}
    assert same(views.failed, [inv for inv in invocations if inv.failed])
    assert same(views.cold, [inv for inv in invocations if inv.cold])
    assert same(views.ran_out_of_memory, [inv for inv in invocations if inv.ran_out_of_memory])
    assert views.timed_out == sum(1 for inv in invocations if inv.status is Status.TIMEOUT)
    assert {rid: id(inv) for rid, inv in views.by_id.items()} == {
        inv.request_id: id(inv) for inv in invocations
    }
    assert same(views.in_start_order, sorted(invocations, key=lambda inv: inv.start_ms or 0))
