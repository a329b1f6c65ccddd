"""Edge plane: the event source mappings, the streams behind them, and the records the logs name."""

from __future__ import annotations

import re
from enum import Enum
from itertools import pairwise
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.parse import BATCH_RESPONSE, record_keys
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import EventSource, Invocation
from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, pct, sampled, samples
from lambdatop.diagnose.model import STATUS_SEVERITY, CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

POISON_MIN = 3
"""Failed deliveries of one record that make it a poison message."""
POISON_BATCHES = 2
"""A poison record blocks its shard alone, or with the few batches it was retried in."""
RUNNING = ("Enabled", "Creating", "Updating", "Enabling")
"""Mapping states that consume the source (the others stopped, or are stopping)."""
NOT_READ = "Event source mappings were not read (logs only)"
DEAD_LETTER_QUEUE = Step(
    "Fix: give the queue a redrive policy (maxReceiveCount 3 to 5) to a dead-letter queue, and"
    " report batch item failures (--function-response-types ReportBatchItemFailures) so one bad"
    " message does not fail its batch"
)
VISIBILITY_TIMEOUT = Step(
    "Fix: set the queue's visibility timeout to at least 6 times the function's timeout (AWS's"
    " advice for Lambda consumers)"
)
FASTER = Step(
    "Fix: process faster or in parallel (parallelization factor, more shards, larger batches)"
    " and check the errors that make batches retry"
)
WHOLE_BATCH = Step(
    "Fix: the records' own errors, logged before it, say why each failed; a dead-letter queue"
    " (the queue's redrive policy) or an on-failure destination (streams) stops a batch that"
    " always fails from coming back until its records expire"
)
# A batch processor that failed every record of its batch, so the invocation fails and the
# whole batch is delivered again: Powertools' `FullBatchFailureError` (TypeScript, Java),
# `BatchProcessingError` (Python), and what their loggers say of it.
_WHOLE_BATCH = re.compile(
    r"FullBatchFailureError|BatchProcessingError|All records failed processing"
    r"|Caught exception in batch_processor"
)
_BATCH_SCAN = 4000
PARTIAL_SHARE_WARN = 0.1
"""A tenth of the records (or of the batches, when the records are not named) reported failed:
more than the odd bad record."""
PARTIAL_SCAN = 200_000
"""How far into a line a partial batch response's list is read (10,000 records' ids)."""
_ITEM = re.compile(r"""itemIdentifier\\*["']?\s*[:=]\s*\\*["']?(?P<id>[^\s"'\\,}\]]{1,200})""")
_QUEUE_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
"""An SQS message id's shape (a stream's item is a sequence number)."""
RESPONSE_TYPES = (
    "the failed records are retried only if the mapping reports batch item failures"
    " (ReportBatchItemFailures in its FunctionResponseTypes): without it, Lambda does not"
    " process the response, the batch counts as a success, and those records are dropped"
)
PARTIAL_QUEUE = Step(
    "Fix: the records' own errors, logged before the response, say why each failed; retried,"
    " a record that keeps failing goes to the dead-letter queue its redrive policy names after"
    " maxReceiveCount receives (with none, it comes back until the queue's retention period"
    " ends): look there, and redrive the messages once fixed"
)
PARTIAL_STREAM = Step(
    "Fix: the records' own errors, logged before the response, say why each failed; Lambda"
    " retries from the first failed record, holding up the shard, until the record expires or"
    " the retries run out (then the on-failure destination gets it)"
)
REPORTING_SERVICES = ("sqs", "kinesis", "dynamodb")
"""The sources whose mappings take a partial batch response (ReportBatchItemFailures)."""
# AWS (Lambda developer guide, "Configuring partial batch response with Kinesis Data Streams and
# Lambda", and the same for DynamoDB and SQS): "Even when your function code returns partial
# batch failure responses, these responses will not be processed by Lambda unless the
# ReportBatchItemFailures feature is explicitly turned on for your event source mapping." The
# invocation returned, so the batch is a success: SQS messages are deleted, a stream's
# checkpoint moves past the batch.
IGNORED_QUEUE = "the batch counts as a success and those messages are deleted from the queue"
IGNORED_STREAM = "the batch counts as a success and the shard moves on past those records"
TURN_ON = Step(
    "Fix: turn on ReportBatchItemFailures on the mapping (the command above changes it; run it"
    " yourself): until then every record the function hands back is lost, not retried. Those"
    " already dropped are gone from the source: the responses quoted name their ids"
)
_KEY_NAMES = {"messageid": "messageId", "sequencenumber": "sequenceNumber", "eventid": "eventID"}
_SOURCE_OF_KEY = {
    "messageid": "SQS message",
    "sequencenumber": "stream record",
    "eventid": "DynamoDB stream record",
}


class Reason(Enum):
    POISON = "poison"
    """One record fails every delivery (logs only)."""
    REDELIVERED = "redelivered"
    """SQS messages delivered again while still being processed (logs only)."""
    BEHIND = "behind"
    """A stream consumer is behind."""
    WHOLE_BATCH = "whole batch"
    """A batch processor failed every record of a batch (logs only)."""
    PARTIAL = "partial"
    """Partial batch responses handed back a large share of the records."""
    IGNORED = "ignored"
    """Partial batch responses to a mapping without ReportBatchItemFailures: records lost."""


class PartialBatches(NamedTuple):
    """What the function's logged partial batch responses (`batchItemFailures`) handed back."""

    records: int = 0
    """Records reported failed (their `itemIdentifier`s, each once a batch)."""
    batches: int = 0
    """Batches (invocations) that reported at least one record failed."""
    responses: int = 0
    """Responses logged, those that reported none failed included."""
    named: int = 0
    """Records the lines of those batches named (their event logged): 0 when none were."""
    queue: bool = True
    """The items are SQS message ids (else a stream's sequence numbers)."""

    def share(self, completed: int) -> tuple[int, int, str]:
        """The part reported failed, of what whole, and what the whole is: the records the
        batches named, when they named at least the failed ones, else the batches read."""
        if self.named >= self.records:
            return self.records, self.named, "of the records those batches named"
        total = max(self.responses, completed, self.batches)
        return self.batches, total, f"of {count(total, 'batch')} read"

    @property
    def said(self) -> str:
        return (
            f"{count(self.records, 'record')} reported failed in {count(self.batches, 'batch')}"
            " (partial batch response)"
        )


class Poison(NamedTuple):
    """The record that failed most deliveries, of those that failed every one of theirs."""

    key: str
    """`messageid`, `sequencenumber`, `eventid`."""
    value: str
    failed: int
    delivered: int
    records: int
    """Records that failed every delivery, 3 or more each."""
    batches: int
    """Distinct sets of invocations those records were delivered in."""
    mates: int = 0
    """Other poison records delivered in the very same invocations (one batch retried whole)."""
    named_by_error: bool = False
    """Of records failing together, the error lines named this one."""

    @property
    def what(self) -> str:
        return _SOURCE_OF_KEY.get(self.key, "record")

    @property
    def name(self) -> str:
        return _KEY_NAMES.get(self.key, self.key)


class EventSourceFigures(NamedTuple):
    mappings: tuple[EventSource, ...] | None
    """None: not read (logs only)."""
    async_age_s: float | None = None
    iterator_age_s: float | None = None
    poison: Poison | None = None
    succeeded: int = 0
    """Records the logs name with a delivery that succeeded."""
    redelivered: tuple[str, ...] = ()
    """SQS message ids delivered to a second invocation before the first finished."""
    whole_batches: int = 0
    """Batches a batch processor failed whole (logs only): invocations, or lines with none."""
    partial: PartialBatches = PartialBatches()
    completed: int = 0
    """Invocations completed (each one a batch, for a function an event source mapping calls)."""


def measure(ev: Evidence, limits: Thresholds) -> EventSourceFigures:
    async_age = ev.metric_peak(m.ASYNC_EVENT_AGE)
    iterator_age = ev.metric_peak(m.ITERATOR_AGE)
    poison, succeeded, redelivered = _records(ev) if ev.event_sources is None else (None, 0, [])
    whole = _whole_batches(ev) if ev.event_sources is None else []
    return EventSourceFigures(
        mappings=None if ev.event_sources is None else tuple(ev.event_sources),
        async_age_s=None if async_age is None else async_age / 1000,
        iterator_age_s=None if iterator_age is None else iterator_age / 1000,
        poison=poison,
        succeeded=succeeded,
        redelivered=tuple(record.partition("=")[2] for record in redelivered),
        whole_batches=len({f.request_id or f"{f.stream}@{f.timestamp_ms}" for f in whole}),
        partial=_partial_batches(ev),
        completed=ev.completed,
    )


def verdict(f: EventSourceFigures, limits: Thresholds) -> Verdict:
    if f.mappings is None:
        return _logs_only(f)
    if not f.mappings:
        if f.async_age_s is not None and f.async_age_s >= limits.iterator_age_warn_s:
            waited = human_duration(f.async_age_s)
            return Verdict(CheckStatus.WARN, f"Async events wait {waited} before running")
        return Verdict(CheckStatus.OK, "No event source mappings")
    said = [found for mapping in f.mappings for found in _what_the_mapping_says(mapping)]
    reason: Enum | None = None
    ignoring = _ignoring(f)
    if ignoring:
        said.insert(0, (CheckStatus.FAIL, _ignored_title(f.partial, ignoring)))
        reason = Reason.IGNORED
    elif _responding(f) and (partial := _partial_verdict(f)) is not None:
        said.append((partial.status, partial.title))
        reason = partial.reason
    behind = f.iterator_age_s
    if behind is not None and behind >= limits.iterator_age_warn_s:
        status = CheckStatus.FAIL if behind >= limits.iterator_age_fail_s else CheckStatus.WARN
        said.insert(0, (status, f"Stream consumer {human_duration(behind)} behind"))
        reason = reason or Reason.BEHIND
    status = max((s for s, _ in said), key=STATUS_SEVERITY.__getitem__, default=CheckStatus.OK)
    healthy = f"{count(len(f.mappings), 'event source')} healthy"
    return Verdict(status, "; ".join(title for _, title in said) or healthy, reason)


def _what_the_mapping_says(source: EventSource) -> list[tuple[CheckStatus, str]]:
    said: list[tuple[CheckStatus, str]] = []
    if source.state and source.state not in RUNNING:
        said.append((CheckStatus.WARN, f"{source.service} mapping is {source.state}"))
    result = source.last_processing_result
    if result and result.startswith("PROBLEM"):
        said.append((CheckStatus.FAIL, f"{source.service} batches fail: {result}"))
    return said


def _logs_only(f: EventSourceFigures) -> Verdict:
    # A poison record fails where others pass, or alone blocks its shard (one batch retried,
    # or a few); when many records each fail every delivery, something they all need is
    # failing (invocation_errors says what).
    p = f.poison
    if p is not None and (p.batches <= POISON_BATCHES or f.succeeded >= 2 * p.records):
        return Verdict(CheckStatus.FAIL, _poison_title(p), Reason.POISON)
    if f.redelivered:
        return Verdict(
            CheckStatus.WARN,
            f"{count(len(f.redelivered), 'SQS message')} delivered again while still being"
            " processed: the visibility timeout is shorter than the function's run",
            Reason.REDELIVERED,
        )
    if f.whole_batches:
        return Verdict(
            CheckStatus.WARN,
            f"{count(f.whole_batches, 'batch')} failed whole (every record failed): delivered"
            " again, every record with it",
            Reason.WHOLE_BATCH,
        )
    return _partial_verdict(f) or Verdict(CheckStatus.UNKNOWN, NOT_READ)


def _partial_verdict(f: EventSourceFigures) -> Verdict | None:
    """What the partial batch responses say, retried: a warning when a large share failed."""
    partial = f.partial
    if not partial.records:
        return None
    part, whole, of = partial.share(f.completed)
    title = f"{partial.said}: {pct(part, whole)} {of}"
    if part >= PARTIAL_SHARE_WARN * whole:
        return Verdict(CheckStatus.WARN, title, Reason.PARTIAL)
    return Verdict(CheckStatus.OK, title)


def _answering(f: EventSourceFigures) -> list[EventSource]:
    """The mappings the partial batch responses answer: those of the sources that take one, of
    the kind the items name (SQS message ids, else a stream's sequence numbers), or all of them
    when none is of that kind."""
    if not f.partial.records or not f.mappings:
        return []
    taking = [s for s in f.mappings if s.service in REPORTING_SERVICES]
    kind = [s for s in taking if (s.service == "sqs") == f.partial.queue]
    return kind or taking


def _ignoring(f: EventSourceFigures) -> list[EventSource]:
    """The mappings the function hands failed records back to that were read without
    ReportBatchItemFailures: Lambda ignores the list."""
    return [s for s in _answering(f) if s.reports_batch_item_failures is False]


def _responding(f: EventSourceFigures) -> bool:
    """Every mapping the responses answer was read with ReportBatchItemFailures: retried."""
    answering = _answering(f)
    return bool(answering) and all(s.reports_batch_item_failures for s in answering)


def _ignored_title(p: PartialBatches, ignoring: list[EventSource]) -> str:
    first = ignoring[0]
    others = f" (+{count(len(ignoring) - 1, 'other mapping')})" if len(ignoring) > 1 else ""
    lost = IGNORED_QUEUE if first.service == "sqs" else IGNORED_STREAM
    return (
        f"The function reports {count(p.records, 'record')} failed but the mapping"
        f" {first.uuid}{others} does not have ReportBatchItemFailures: Lambda ignores the list;"
        f" {lost}"
    )


def _poison_title(p: Poison) -> str:
    title = (
        f"A poison {p.what}: {p.name} {p.value[:40]} failed {p.failed} of {p.delivered} deliveries"
    )
    if p.mates:
        named = ", the error names it)" if p.named_by_error else ": one of them)"
        title += f" (with the {p.mates} others of its batch{named}"
    others = p.records - 1 - p.mates
    return title + (f" (+{count(others, 'other record')})" if others else "")


def advise(f: EventSourceFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    listing = cmd.lambda_function("list-event-source-mappings")
    if f.mappings is None:
        parts = []
        if decided.reason is Reason.POISON and f.poison is not None:
            parts.append(_poison_advice(f.poison, cmd))
        if f.redelivered:
            parts.append(_redelivered_advice(f.redelivered, cmd))
        if decided.reason is Reason.WHOLE_BATCH:
            parts.append(Advice(samples(_whole_batches(ev)), [WHOLE_BATCH]))
        if f.partial.records:
            # The mappings' response types are what to read first: the listing says no more.
            listing = _response_types(cmd)
            parts.append(_partial_advice(f.partial, ev, cmd, decided.reason is Reason.PARTIAL))
        evidence = [line for part in parts for line in part.evidence]
        return Advice(evidence, [listing, *(step for part in parts for step in part.steps)])
    advice = Advice(steps=[listing])
    if f.partial.records:
        advice.evidence.append(f.partial.said)
        advice.evidence.extend(_answering_lines(f))
    ignoring = _ignoring(f)
    if ignoring:
        advice.evidence.extend(samples(sampled(_responses(ev))))
        advice.steps = [*_turn_on_steps(ignoring[0].uuid, cmd), listing]
    elif decided.reason is Reason.PARTIAL:
        advice.steps.extend(_partial_advice(f.partial, ev, cmd, warned=True).steps)
    for source in f.mappings:
        advice.evidence.extend(_mapping_lines(source))
        if source.is_stream and source.bisect_on_error is False:
            advice.steps.append(
                cmd.lambda_call(
                    "update-event-source-mapping",
                    f" --uuid {source.uuid} --bisect-batch-on-function-error"
                    " --maximum-retry-attempts 3",
                    changes=True,
                )
            )
    if f.iterator_age_s is not None:
        advice.evidence.append(f"IteratorAge peak {human_duration(f.iterator_age_s)}")
        advice.steps.insert(0, cmd.metric("IteratorAge", ["Maximum"]))
    if decided.reason is Reason.BEHIND:
        stream = next((s for s in f.mappings if s.is_stream), None)
        if stream is not None:
            advice.steps.append(
                cmd.lambda_call(
                    "update-event-source-mapping",
                    f" --uuid {stream.uuid} --parallelization-factor 10",
                    changes=True,
                )
            )
        advice.steps.append(FASTER)
    return advice


def _poison_advice(p: Poison, cmd: Commands) -> Advice:
    queue = p.key == "messageid"
    retried = (
        " come back until the queue's maxReceiveCount sends them to a dead-letter queue"
        if queue
        else " hold up their shard's later records"
    )
    evidence = [
        f"{count(p.records, 'record')} failed on 3 or more deliveries each; retried, they{retried}",
        f"{p.name} {p.value}: {p.failed} failed of {p.delivered}",
    ]
    if queue:
        return Advice(evidence, [DEAD_LETTER_QUEUE])
    bisect = cmd.lambda_call(
        "update-event-source-mapping",
        " --uuid '<mapping-uuid>' --bisect-batch-on-function-error --maximum-retry-attempts 3"
        " --destination-config 'OnFailure={Destination=<queue-or-topic-arn>}'",
        changes=True,
    )
    return Advice(evidence, [bisect])


def _partial_advice(p: PartialBatches, ev: Evidence, cmd: Commands, warned: bool) -> Advice:
    """The records the function handed back, whether the mapping will retry them, and where
    the ones that keep failing go."""
    evidence = [p.said, RESPONSE_TYPES, *samples(sampled(_responses(ev)))]
    if not warned:
        return Advice(evidence, [])
    if not p.queue:
        return Advice(evidence, [PARTIAL_STREAM])
    redrive = Step(
        "aws sqs get-queue-attributes --queue-url '<queue-url>' --attribute-names"
        f" RedrivePolicy{cmd.region_option()}",
        command=True,
    )
    return Advice(evidence, [redrive, PARTIAL_QUEUE])


def _response_types(cmd: Commands) -> Step:
    """Whether each mapping processes partial batch responses."""
    return cmd.lambda_function(
        "list-event-source-mappings", " --query 'EventSourceMappings[].FunctionResponseTypes'"
    )


def _responses(ev: Evidence) -> list[Finding]:
    """The logged partial batch responses that reported records failed."""
    return [f for f in ev.batch_responses if _failed_items(f.line.text)]


def _failed_items(text: str) -> list[str]:
    """The `itemIdentifier`s of the partial batch response a line holds, in its order."""
    at = text.find(BATCH_RESPONSE, 0, PARTIAL_SCAN)
    if at < 0:
        return []
    opened = text.find("[", at, at + 200)
    if opened < 0:
        return []  # `"batchItemFailures": null`, or no list after the key
    depth, end = 0, min(len(text), PARTIAL_SCAN)
    for index in range(opened, end):
        char = text[index]
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                end = index
                break
    return [match.group("id") for match in _ITEM.finditer(text, opened, end)]


def _partial_batches(ev: Evidence) -> PartialBatches:
    """Count what the logged partial batch responses handed back: each batch (invocation, or
    line with none) once, its records each once."""
    by_batch: dict[str, set[str]] = {}
    for finding in ev.batch_responses:
        key = finding.request_id or f"{finding.stream}@{finding.timestamp_ms}"
        by_batch.setdefault(key, set()).update(_failed_items(finding.line.text))
    failed = {key: items for key, items in by_batch.items() if items}
    if not failed:
        return PartialBatches(responses=len(by_batch))
    named = sum(1 for invocations in ev.records.values() if not invocations.isdisjoint(failed))
    items = [item for batch in failed.values() for item in batch]
    return PartialBatches(
        records=len(items),
        batches=len(failed),
        responses=len(by_batch),
        named=named,
        queue=sum(1 for item in items if _QUEUE_ID.fullmatch(item)) * 2 >= len(items),
    )


def _redelivered_advice(redelivered: tuple[str, ...], cmd: Commands) -> Advice:
    attributes = Step(
        "aws sqs get-queue-attributes --queue-url '<queue-url>' --attribute-names"
        f" VisibilityTimeout RedrivePolicy{cmd.region_option()}",
        command=True,
    )
    return Advice(
        [
            f"{count(len(redelivered), 'message')} delivered to a second invocation before the"
            f" first finished (e.g. {redelivered[0]})"
        ],
        [attributes, VISIBILITY_TIMEOUT],
    )


def _turn_on_steps(uuid: str, cmd: Commands) -> list[Step]:
    """The command that shows the mapping's response types, and the fix that turns them on."""
    return [
        cmd.lambda_call(
            "get-event-source-mapping", f" --uuid {uuid} --query FunctionResponseTypes"
        ),
        cmd.lambda_call(
            "update-event-source-mapping",
            f" --uuid {uuid} --function-response-types ReportBatchItemFailures",
            changes=True,
        ),
        TURN_ON,
    ]


def _answering_lines(f: EventSourceFigures) -> list[str]:
    """Whether each mapping the partial batch responses answer retries the records."""
    lines = []
    for source in _answering(f):
        reports = source.reports_batch_item_failures
        if reports is not None:
            said = "retried" if reports else "ignored (no ReportBatchItemFailures)"
            lines.append(
                f"{source.service} mapping {source.uuid}: the records handed back are {said}"
            )
    return lines


def _mapping_lines(source: EventSource) -> list[str]:
    name = source.source_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    line = f"{source.service} {name}: {source.state or 'state unknown'}"
    if source.batch_size:
        line += f", batch size {source.batch_size}"
    if source.last_processing_result:
        line += f", last result {source.last_processing_result}"
    if source.is_stream and not source.on_failure_destination:
        return [
            line,
            f"{source.service} {name}: no on-failure destination (failed batches are lost)",
        ]
    return [line]


def _records(ev: Evidence) -> tuple[Poison | None, int, list[str]]:
    """What the logs say of the event source: records that failed every delivery (a poison
    message, or a shard blocked behind it), how many records had a delivery that succeeded, and
    messages delivered again while still being processed (a visibility timeout shorter than the
    function's run)."""
    by_id = ev.complete.by_id
    poison: list[tuple[str, int, int]] = []
    redelivered: list[str] = []
    succeeded = 0
    for record, named in ev.records.items():
        deliveries = [by_id[rid] for rid in named if rid in by_id]
        failed = sum(1 for inv in deliveries if inv.failed)
        if failed < len(deliveries):
            succeeded += 1
        if len(deliveries) < 2:
            continue
        if failed >= POISON_MIN and failed == len(deliveries):
            poison.append((record, failed, len(deliveries)))
        elif record.startswith("messageid=") and _overlap(deliveries):
            redelivered.append(record)
    return _poison(ev, poison), succeeded, redelivered


def _poison(ev: Evidence, poison: list[tuple[str, int, int]]) -> Poison | None:
    if not poison:
        return None
    poison.sort(key=lambda item: -item[1])
    (record, failed, delivered), named_by_error = _the_one_named(ev, poison)
    key, _, value = record.partition("=")
    batch = ev.records[record]
    return Poison(
        key=key,
        value=value,
        failed=failed,
        delivered=delivered,
        records=len(poison),
        batches=len({frozenset(ev.records[other]) for other, _, _ in poison}),
        mates=sum(1 for other, _, _ in poison if other != record and ev.records[other] == batch),
        named_by_error=named_by_error,
    )


def _the_one_named(
    ev: Evidence, poison: list[tuple[str, int, int]]
) -> tuple[tuple[str, int, int], bool]:
    """Of records that fail together (a batch retried whole), the one the error lines name,
    and whether one did."""
    first = poison[0]
    together = [item for item in poison if ev.records[item[0]] == ev.records[first[0]]]
    if len(together) == 1:
        return first, False
    wanted = {item[0] for item in together}
    for finding in [*ev.failures, *ev.logged_errors]:
        for record in record_keys(finding.line.text, 4000):
            if record in wanted:
                return next(item for item in together if item[0] == record), True
    return first, False


def _whole_batches(ev: Evidence) -> list[Finding]:
    """The lines that say a batch processor failed every record of its batch."""
    return [
        finding
        for finding in [*ev.failures, *ev.logged_errors]
        if _WHOLE_BATCH.search(finding.line.text, 0, _BATCH_SCAN) is not None
    ]


def _overlap(deliveries: list[Invocation]) -> bool:
    """Whether one delivery began before an earlier one ended."""
    spans = sorted(
        (inv.start_ms, inv.end_ms)
        for inv in deliveries
        if inv.start_ms is not None and inv.end_ms is not None
    )
    return any(later[0] < earlier[1] for earlier, later in pairwise(spans))
