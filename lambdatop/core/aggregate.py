"""A window's figures counted by CloudWatch Logs Insights, where the window holds more events than
are worth downloading: what the queries ask, and the typed answer the diagnosis takes in place of
figures counted from the events it downloaded (which are then a sample, for quoting).

No AWS here: `aws.insights` runs `REPORT_FIGURES`, `FAMILY_LINES` and `MEMORY_BY_ENVIRONMENT`
over the window, and `window_figures` reads their rows. The REPORT queries read both log formats
at once: the fields Insights discovers in text REPORT lines (`@duration`, `@initDuration`,
`@maxMemoryUsed` in bytes on a 10^6 scale, ...) and the `record.metrics.*` of JSON
`platform.report` events.

The error families are not rewritten as Insights patterns (a second classifier would drift from
the first): the query fetches every line holding one of the words without which
`core.classify` recognises no family, and the same parser the raw path uses classifies them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lambdatop.core.classify import deciding_patterns, trigger_words
from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily, ParsedLine
from lambdatop.core.timeutil import human_duration, to_epoch_ms

INSIGHTS = "CloudWatch Logs Insights"
MAX_ROWS = 10_000
"""The most rows a query returns (StartQuery's `limit`: "The default is 10,000")."""

REPORTS = '@type = "REPORT" or type = "platform.report"'
"""A REPORT line in either log format: `@type` Insights discovers in text, the JSON `type`."""
RESTORE_PARSE = r"parse @message /Restore Duration: (?<reportRestore>[\d.]+)/"
"""A text SnapStart REPORT's restore (Insights discovers no field for it)."""
DURATION_MS = "coalesce(@duration, record.metrics.durationMs)"
START_MS = (
    "coalesce(@initDuration, record.metrics.initDurationMs, reportRestore,"
    " record.metrics.restoreDurationMs)"
)
"""An invocation's init or restore: a cold start (needs `RESTORE_PARSE` before it)."""
USED_MB = "coalesce(@maxMemoryUsed / 1000000, record.metrics.maxMemoryUsedMB)"
SIZE_MB = "coalesce(@memorySize / 1000000, record.metrics.memorySizeMB)"

REPORT_FIGURES = " | ".join(
    (
        f"filter {REPORTS}",
        r"parse @message /Status: (?<reportStatus>\w+)/",
        r"parse @message /Error Type: (?<reportError>[\w.]+)/",
        RESTORE_PARSE,
        f"fields {DURATION_MS} as durationMs,"
        " coalesce(@billedDuration, record.metrics.billedDurationMs) as billedMs,"
        f" {START_MS} as startMs,"
        " coalesce(@initDuration, record.metrics.initDurationMs) as initOnlyMs,"
        " coalesce(reportRestore, record.metrics.restoreDurationMs) as restoreMs,"
        f" {USED_MB} as usedMB,"
        f" {SIZE_MB} as sizeMB,"
        ' coalesce(reportStatus, record.status, "unsaid") as status,'
        ' coalesce(reportError, record.errorType, "") as errorType',
        # Older REPORT lines say no status: memory used at the limit is then the kill.
        'fields strcontains(status, "unsaid") * floor(usedMB / sizeMB) as killedAtLimit',
        'fields 1 - strcontains(status, "success") - strcontains(status, "unsaid")'
        " + killedAtLimit as failed,"
        ' strcontains(status, "timeout") as timedOut,'
        ' strcontains(errorType, "OutOfMemory") + killedAtLimit as outOfMemory',
        "stats count() as invocations, sum(failed) as errors, sum(timedOut) as timeouts,"
        " sum(outOfMemory) as outOfMemory, count(startMs) as coldStarts,"
        " sum(billedMs) as billedMs,"
        " pct(durationMs, 50) as durationP50, pct(durationMs, 99) as durationP99,"
        " max(durationMs) as durationMax,"
        " pct(startMs, 50) as initP50, pct(startMs, 99) as initP99, max(startMs) as initMax,"
        " pct(initOnlyMs, 50) as initOnlyP50, pct(initOnlyMs, 99) as initOnlyP99,"
        " max(initOnlyMs) as initOnlyMax,"
        " pct(restoreMs, 50) as restoreP50, pct(restoreMs, 99) as restoreP99,"
        " max(restoreMs) as restoreMax,"
        " pct(usedMB, 50) as usedP50, pct(usedMB, 99) as usedP99, max(usedMB) as usedMax,"
        " latest(sizeMB) as sizeMB",
    )
)
"""One row: the window's invocations (REPORTs), how they ended, and their spreads."""

MEMORY_BY_ENVIRONMENT = " | ".join(
    (
        f"filter {REPORTS}",
        f"fields {USED_MB} as usedMB",
        "stats count(usedMB) as invocations, earliest(usedMB) as firstMB,"
        " latest(usedMB) as lastMB, min(usedMB) as lowMB, max(usedMB) as peakMB by @logStream",
        "sort invocations desc",
    )
)
"""A row per execution environment (log stream): its invocations' max memory used, first, last,
lowest and highest; the busiest environments first (10,000 of them at most)."""

_FAILURE_WORDS = (
    "logsdropped",
    "timed out",
    "timeout",
    "init_report",
    "restore_report",
    "initreport",
    "restorereport",
)
"""Lines the parser gives a family without a classifier's word (`Task timed out`, a REPORT or
runtimeDone with `timeout`, a failed init or restore), and `platform.logsDropped`."""


def _family_pattern() -> str:
    words = sorted(set(trigger_words()) | set(_FAILURE_WORDS))
    # Insights' regular expressions: `/` ends one, so it is escaped with the metacharacters.
    return "|".join(re.sub(r"([\\.^$|?*+()\[\]{}/])", r"\\\1", word) for word in words)


_NOT_REPORTS = f"not ({REPORTS})"
"""The parser gives a REPORT line no family, and every one holds a word ("Memory"): left in, a
busy function's REPORT lines alone would fill the 10,000 rows a query returns."""

FAMILY_LINES = (
    f"filter @message like /(?i)({_family_pattern()})/ and {_NOT_REPORTS}"
    " | fields @timestamp, @logStream, @message | sort @timestamp asc"
)
"""Every line that may belong to an error family, oldest first (10,000 at most a query): the
lines quoted, and the families of a window whose counts were not grouped."""

_PARSER_WORDS = (
    # What the parser reads beside the classifier: a timeout's line, a failed init's report.
    ("timedOut", r"Task timed out|Sandbox\.Timedout", 0),
    ("phase", r"INIT_REPORT|RESTORE_REPORT|platform\.(?:initReport|restoreReport|runtimeDone)", 0),
    ("status", r"Status: \w+|\"status\": ?\"\w+", 0),
    ("errorType", r"Error Type: [\w.]+|\"errorType\": ?\"[\w.]+", 0),
)


def _parse_word(name: str, pattern: str, flags: int) -> str:
    """`parse` of a Python expression into field `w<name>`: its named groups plain groups (each
    would be a field), its case-insensitivity a leading `(?i)`, `/` escaped (it ends it)."""
    body = re.sub(r"\(\?P<\w+>", "(?:", pattern).replace("/", "\\/")
    case = "(?i)" if flags & re.IGNORECASE else ""
    return f"parse @message /{case}(?<w{name}>{body})/"


def _family_counts_query() -> str:
    words = (*deciding_patterns(), *_PARSER_WORDS)
    parses = [_parse_word(name, pattern, flags) for name, pattern, flags in words]
    # One key of every word found (absent ones empty): lines alike in them classify alike.
    key = ', "|", '.join(f'coalesce(w{name}, "")' for name, _, _ in words)
    return " | ".join(
        (
            # No word filter (its words alone would pass StartQuery's 10,000 characters): a
            # line matching none of the words is in the one group of lines that classify as
            # nothing, and the bytes scanned are the window's either way.
            f"filter {_NOT_REPORTS}",
            *parses,
            f"fields concat({key}) as deciding",
            "stats count() as lines, earliest(@message) as example by deciding",
            "sort lines desc",
        )
    )


FAMILY_COUNTS = _family_counts_query()
"""The window's lines of every error family, counted where the logs are: the lines that may
belong to one, grouped by what the classifier reads of them (each rule's match, the context a
rule's decision reads, the parser's timeout and init words), a row a group with its count and
one of its lines, which the raw path's own parser classifies for the whole group. So a busy
window's families are its own, not those of the 10,000 lines a query returns, and no second
classifier is written in Insights' language to drift from the first."""


@dataclass(frozen=True, slots=True)
class Spread:
    p50: float | None = None
    p99: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class FamilyFigures:
    lines: int = 0
    invocations: int = 0
    """Distinct request ids the lines name (lines naming none are not counted)."""


@dataclass(frozen=True, slots=True)
class FamilyGroup:
    """A row of `FAMILY_COUNTS` that holds a family: its lines over the window, and its
    example, parsed (the group's lines read alike to the classifier, and to a check that sorts
    a family further, as the VPC check sorts the network's)."""

    lines: int
    example: ParsedLine

    @property
    def family(self) -> ErrorFamily | None:
        classification = self.example.classification
        return classification.family if classification is not None else None


@dataclass(frozen=True, slots=True)
class EnvironmentMemory:
    """One execution environment's max memory used over the window, as Insights counts it."""

    stream: str
    invocations: int
    first_mb: float
    last_mb: float
    low_mb: float
    peak_mb: float


@dataclass(frozen=True, slots=True)
class WindowFigures:
    """What the whole window holds, counted where the logs are: the diagnosis says these came
    from `source` over `start_ms`..`end_ms`, and quotes lines from its sample only."""

    start_ms: int
    end_ms: int
    invocations: int = 0
    errors: int = 0
    timeouts: int = 0
    out_of_memory: int = 0
    cold_starts: int = 0
    duration_ms: Spread = field(default_factory=Spread)
    init_ms: Spread = field(default_factory=Spread)
    """Init or restore duration of the cold starts."""
    init_only_ms: Spread = field(default_factory=Spread)
    """Of the inits alone, and of the SnapStart restores alone (a restore is no init)."""
    restore_ms: Spread = field(default_factory=Spread)
    memory_used_mb: Spread = field(default_factory=Spread)
    memory_size_mb: int | None = None
    billed_ms: float = 0.0
    families: Mapping[ErrorFamily, FamilyFigures] = field(default_factory=dict)
    environments: tuple[EnvironmentMemory, ...] | None = None
    """Every environment's memory over the window (None: not counted, the lines read tell)."""
    family_lines_read: int = 0
    family_lines_matched: int = 0
    """Lines the family query matched; above `family_lines_read`, the lines read are not all."""
    family_groups: int | None = None
    """Rows `FAMILY_COUNTS` answered (None: not asked): at `MAX_ROWS` a group may be missing."""
    groups: tuple[FamilyGroup, ...] = ()
    """`FAMILY_COUNTS`' rows of a family, the most lines first."""
    bytes_scanned: float = 0.0
    source: str = INSIGHTS
    sample_events: int = 0
    """Events downloaded for quoting: the newest of the window."""
    sample_start_ms: int | None = None
    """Where the sample begins; None when it holds the whole window."""

    @property
    def families_complete(self) -> bool:
        """Every line of every family is counted: grouped in fewer rows than a query returns,
        else (not grouped) every line the family query matched was read."""
        if self.family_groups is not None:
            return self.family_groups < MAX_ROWS
        return self.family_lines_read >= self.family_lines_matched

    @property
    def families_floor(self) -> str | None:
        """Why the error families' lines are only at least those counted, said with what was
        counted over which span, as `diagnose` notes it; None when every line was counted."""
        if self.families_complete:
            return None
        span = human_duration((self.end_ms - self.start_ms) / 1000)
        if self.family_groups is not None:
            return (
                f"{self.source} grouped the error lines over {span} in {self.family_groups:,}"
                " groups, the most a query returns: some may be left out, so each error"
                f" family's lines in the {span} are at least those counted"
            )
        return (
            f"{self.source} found {self.family_lines_matched:,} lines with an error family's"
            f" words over {span} and returned the oldest {self.family_lines_read:,}: each error"
            f" family's lines in the {span} are at least those counted"
        )

    def family(self, family: ErrorFamily) -> FamilyFigures:
        return self.families.get(family, FamilyFigures())

    def family_groups_of(self, family: ErrorFamily) -> list[FamilyGroup]:
        return [group for group in self.groups if group.family is family]


def window_figures(
    report_rows: list[dict[str, str]],
    family_lines: Iterable[str],
    *,
    start_ms: int,
    end_ms: int,
    family_lines_matched: int | None = None,
    bytes_scanned: float = 0.0,
    environment_rows: list[dict[str, str]] | None = None,
    family_rows: list[dict[str, str]] | None = None,
) -> WindowFigures:
    """The figures of `REPORT_FIGURES`' row, of the lines `FAMILY_LINES` returned, and of
    `MEMORY_BY_ENVIRONMENT`'s and `FAMILY_COUNTS`' rows (when they were asked): each family's
    lines the whole window's count, its invocations those the lines read name."""
    row = report_rows[0] if report_rows else {}
    lines = list(family_lines)
    found = families(lines)
    groups = [] if family_rows is None else family_groups(family_rows)
    if family_rows is not None:
        totals = _totals(groups)
        found = {
            family: FamilyFigures(n, found.get(family, FamilyFigures()).invocations)
            for family, n in totals.items()
        }
    timeouts = _whole(row.get("timeouts"))
    # Older REPORT lines say no status: a `Task timed out` line names the invocation instead.
    unsaid = max(0, found.get(ErrorFamily.TIMEOUT, FamilyFigures()).invocations - timeouts)
    return WindowFigures(
        start_ms=start_ms,
        end_ms=end_ms,
        invocations=_whole(row.get("invocations")),
        errors=_whole(row.get("errors")) + unsaid,
        timeouts=timeouts + unsaid,
        out_of_memory=_whole(row.get("outOfMemory")),
        cold_starts=_whole(row.get("coldStarts")),
        duration_ms=_spread(row, "duration"),
        init_ms=_spread(row, "init"),
        init_only_ms=_spread(row, "initOnly"),
        restore_ms=_spread(row, "restore"),
        memory_used_mb=_spread(row, "used"),
        memory_size_mb=_mb(row.get("sizeMB")),
        billed_ms=_number(row.get("billedMs")) or 0.0,
        families=found,
        environments=None if environment_rows is None else environments(environment_rows),
        family_lines_read=len(lines),
        family_lines_matched=max(len(lines), family_lines_matched or 0),
        family_groups=None if family_rows is None else len(family_rows),
        groups=tuple(groups),
        bytes_scanned=bytes_scanned,
    )


def family_groups(rows: Iterable[Mapping[str, str]]) -> list[FamilyGroup]:
    """`FAMILY_COUNTS`' rows whose example line the raw path's parser gives a family: each
    group's lines are of that family (the others are lines of none)."""
    found = []
    for row in rows:
        example = row.get("example")
        parsed = None if example is None else parse(example)
        if parsed is not None and parsed.classification is not None:
            found.append(FamilyGroup(_whole(row.get("lines")), parsed))
    return found


def _totals(groups: Iterable[FamilyGroup]) -> dict[ErrorFamily, int]:
    """Each family's lines over the window."""
    counts: Counter[ErrorFamily] = Counter()
    for group in groups:
        if group.family is not None:
            counts[group.family] += group.lines
    return dict(counts)


def family_line(row: Mapping[str, str]) -> tuple[int, str, str] | None:
    """A row of `FAMILY_LINES` as (epoch ms, stream, message); None for a row without them.
    Insights answers `@timestamp` as `2026-03-02 09:14:55.120` (UTC)."""
    when = to_epoch_ms(row.get("@timestamp", "").replace(" ", "T") + "Z")
    message = row.get("@message")
    if when is None or message is None:
        return None
    return when, row.get("@logStream", ""), message


def environments(rows: Iterable[Mapping[str, str]]) -> tuple[EnvironmentMemory, ...]:
    """`MEMORY_BY_ENVIRONMENT`'s rows; a row without its figures is left out."""
    found = []
    for row in rows:
        figures = [_number(row.get(k)) for k in ("firstMB", "lastMB", "lowMB", "peakMB")]
        first, last, low, peak = figures
        if first is None or last is None or low is None or peak is None:
            continue
        found.append(
            EnvironmentMemory(
                row.get("@logStream", ""), _whole(row.get("invocations")), first, last, low, peak
            )
        )
    return tuple(found)


def families(messages: Iterable[str]) -> dict[ErrorFamily, FamilyFigures]:
    """Lines and invocations of each family, as the parser classifies each line."""
    lines: Counter[ErrorFamily] = Counter()
    ids: dict[ErrorFamily, set[str]] = {}
    for message in messages:
        parsed = parse(message)
        if parsed.classification is None:
            continue
        family = parsed.classification.family
        lines[family] += 1
        if parsed.request_id:
            ids.setdefault(family, set()).add(parsed.request_id)
    return {family: FamilyFigures(lines[family], len(ids.get(family, ()))) for family in lines}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_size(text: str) -> float:
    """`5GB`, `500MB`, `1.5TB`, `2048` (bytes) -> bytes (binary units, as AWS bills a GB).
    Raises ValueError with one line for a person."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (say 500MB, 5GB, 1TB)")
    unit = (match.group(2) or "").lower()[:1]
    return float(match.group(1)) * _UNITS[unit]


def size(n: float) -> str:
    """Bytes for a person: `3.2 GB`, `740 MB`, `12 KB`."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"
    return f"{n:.0f} B"


def _number(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _whole(text: str | None) -> int:
    return round(_number(text) or 0.0)


def _mb(text: str | None) -> int | None:
    value = _number(text)
    return None if value is None else round(value)


def _spread(row: Mapping[str, str], name: str) -> Spread:
    return Spread(
        _number(row.get(f"{name}P50")),
        _number(row.get(f"{name}P99")),
        _number(row.get(f"{name}Max")),
    )
