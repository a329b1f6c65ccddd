"""What the matrix found in the words of a trouble, pinned where it was found."""

from __future__ import annotations

from botocore.exceptions import CredentialRetrievalError

from lambdatop.aws.errors import describe


def test_a_credential_process_that_crashed_is_said_by_its_error_not_its_traceback() -> None:
    """botocore quotes the process's stderr whole: a crashed helper's traceback reached the
    banner and `tail`'s stderr (the matrix's credentials cell, a double whose helpers raced)."""
    crashed = CredentialRetrievalError(
        provider="custom-process",
        error_msg='Traceback (most recent call last):\n  File "/h.py", line 9, in <module>\n'
        "    serial = int(open(p).read())\n"
        "ValueError: invalid literal for int() with base 10: ''\n",
    )
    trouble = describe(crashed, "CloudWatch Logs")
    assert trouble.message == (
        "CloudWatch Logs: Error when retrieving credentials from custom-process: "
        "ValueError: invalid literal for int() with base 10: ''"
    )
    assert trouble.kind == "credentials"


def test_botocores_sentence_loses_its_full_stop_for_the_countdown_after_it() -> None:
    expired = CredentialRetrievalError(
        provider="custom-process", error_msg="The SSO session has expired. Run aws sso login.\n"
    )
    assert describe(expired).message.endswith("Run aws sso login")
