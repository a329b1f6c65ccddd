"""What the matrix found in the words of a trouble, pinned where it was found."""

from __future__ import annotations

from botocore.exceptions import ClientError, CredentialRetrievalError

from lambdatop.aws.errors import describe, describe_source


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


def test_a_credential_error_is_the_accounts_not_the_sources_that_met_it() -> None:
    """`tail` said "CloudWatch Logs: Error when retrieving credentials ..." where the banner
    said the credentials alone: one rule for both, the source named for its own trouble."""
    expired = ClientError(
        {
            "Error": {"Code": "ExpiredTokenException", "Message": "The security token is expired"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "FilterLogEvents",
    )
    assert describe_source(expired, "CloudWatch Logs").message == (
        "credentials rejected (ExpiredTokenException): refresh them (aws sso login, or new keys)"
    )
    unavailable = ClientError(
        {
            "Error": {"Code": "ServiceUnavailableException"},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        },
        "FilterLogEvents",
    )
    assert describe_source(unavailable, "CloudWatch Logs").message == (
        "CloudWatch Logs: AWS answered HTTP 503 (ServiceUnavailableException); retrying"
    )
