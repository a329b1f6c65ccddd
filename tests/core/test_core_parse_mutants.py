"""Lines a one-character change in the parser would read wrong and no other test noticed (found
by `make mutation MUTATION_MODULES=core/parse`): what the user is told failed, and at what level
the line is shown."""

from __future__ import annotations

from lambdatop.core.parse import parse
from lambdatop.core.records import Level

RID = "8f5c6a1e-3b7d-4c2a-9e1f-0a2b3c4d5e6f"
TS = "2026-12-07T10:00:00.000Z"


def test_a_python_exception_of_any_name_with_its_traceback_is_the_invocations_failure() -> None:
    # Python's runtime prints `[ERROR] Type: message` and the traceback for an unhandled error,
    # whatever the class is called: `class CardRefused(Exception)` ends in no Error/Exception.
    line = parse(
        "[ERROR] CardRefused: card 4000 0000 0000 0002 refused\n"
        "Traceback (most recent call last):\n"
        '  File "/var/task/payments.py", line 41, in handler\n'
        '    raise CardRefused(f"card {number} refused")'
    )
    assert (line.unhandled, line.error_type) == (True, "CardRefused")


def test_the_same_words_without_a_traceback_are_the_functions_own_error_line() -> None:
    line = parse("[ERROR] CardRefused: card 4000 0000 0000 0002 refused")
    assert (line.unhandled, line.error_type) == (False, None)


def test_a_response_too_large_is_an_error_even_when_logged_at_info() -> None:
    # The caller got an error instead of the result: shown and counted as one.
    line = parse(
        f"{TS}\t{RID}\tINFO\tFailed to post handler success response. Http response code: 413."
    )
    assert (line.level, line.unhandled) == (Level.ERROR, True)
    assert line.error_type == "Function.ResponseSizeTooLarge"


def test_the_words_deep_inside_a_long_info_line_are_not_a_failed_response() -> None:
    # A debug dump that happens to hold the error's name far into its text (a cached error
    # table, a copy of a previous response) is the function talking, not Lambda refusing.
    dump = "cached responses: " + ", ".join(f"order-{n}: ok" for n in range(40))
    line = parse(f"{TS}\t{RID}\tINFO\t{dump}; last failure Function.ResponseSizeTooLarge")
    assert len(dump) > 300
    assert (line.level, line.unhandled, line.error_type) == (Level.INFO, False, None)


def test_a_start_line_with_a_note_joined_after_it_keeps_its_version_one_word() -> None:
    # A pasted log elides lines with `...` on a line of its own, joined to the START before it
    # (tests/reallogs/samples/py-oom-killed-no-report.log): the version is `$LATEST`, not the
    # note, which the function's version-change check would read as another version.
    line = parse(f"START RequestId: {RID} Version: $LATEST \n...")
    assert (line.request_id, line.version) == (RID, "$LATEST")
