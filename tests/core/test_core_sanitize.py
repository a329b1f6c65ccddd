"""Log content is hostile: escape sequences and control characters must never reach the terminal,
while the text around them, Rich-style markup included, is kept literally."""

from __future__ import annotations

import pytest

from lambdatop.core.sanitize import clean, decode, one_line

CLEAN = [
    pytest.param("plain text", "plain text", id="plain"),
    pytest.param("tabs\tand\nnewlines", "tabs\tand\nnewlines", id="tab-newline-kept"),
    pytest.param("\x1b[31mred\x1b[0m", "red", id="csi-colour"),
    pytest.param("\x1b[1;38;5;196mbold 256\x1b[m", "bold 256", id="csi-256-colour"),
    pytest.param("\x1b[38;2;255;0;0mtruecolor\x1b[39m", "truecolor", id="csi-truecolor"),
    pytest.param("a\x1b[2J\x1b[Hb", "ab", id="clear-screen-home"),
    pytest.param("a\x1b[10;20Hb\x1b[5Ac\x1b[K", "abc", id="cursor-moves"),
    pytest.param("a\x1b[?1049hb\x1b[?25l", "ab", id="private-modes"),
    pytest.param(
        "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", "click me", id="osc8-st"
    ),
    pytest.param("\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07", "click", id="osc8-bel"),
    pytest.param("\x1b]52;c;ZWNobyBwd25lZA==\x07after", "after", id="osc52-clipboard"),
    pytest.param("\x1b]0;new window title\x07text", "text", id="osc-title"),
    pytest.param("\x1bP1$r0m\x1b\\x", "x", id="dcs"),
    pytest.param("\x1b_apc payload\x1b\\x", "x", id="apc"),
    pytest.param("\x1b^pm\x1b\\x", "x", id="pm"),
    pytest.param("a\x1b7b\x1b8c", "abc", id="save-restore-cursor"),
    pytest.param("a\x1bcb", "ab", id="full-reset"),
    pytest.param("a\x1b(Bb", "ab", id="charset"),
    pytest.param("lone escape at end\x1b", "lone escape at end", id="lone-esc"),
    pytest.param("\x9b31mred\x9b0m", "red", id="8bit-csi"),
    pytest.param("\x9d8;;https://x\x9clink", "link", id="8bit-osc"),
    pytest.param("\x9d0;title\x07text", "text", id="8bit-osc-bel"),
    pytest.param("a\x85b\x8dc", "abc", id="c1-controls"),
    pytest.param(
        "\x1b]0;unterminated title\nsecond line",
        "\nsecond line",
        id="unterminated-osc-stops-at-newline",
    ),
    pytest.param("nul\x00byte", "nulbyte", id="nul"),
    pytest.param("bell\x07", "bell", id="bel"),
    pytest.param("back\x08space", "backspace", id="backspace"),
    pytest.param("form\x0cfeed\x0bvt", "formfeedvt", id="ff-vt"),
    pytest.param("del\x7f", "del", id="del"),
    pytest.param("one\r\ntwo", "one\ntwo", id="crlf"),
    pytest.param("one\rtwo\rthree", "one\ntwo\nthree", id="node-cr"),
    pytest.param("[bold red]x[/]", "[bold red]x[/]", id="rich-markup-literal"),
    pytest.param(
        "[link=https://evil]x[/link]", "[link=https://evil]x[/link]", id="rich-link-literal"
    ),
    pytest.param("\x1b[31m[bold]x[/]\x1b[0m", "[bold]x[/]", id="markup-inside-escape"),
    pytest.param("user\u202egnp.exe", "usergnp.exe", id="bidi-rlo"),
    pytest.param("a\u202ab\u202bc\u202cd\u202de", "abcde", id="bidi-embeddings"),
    pytest.param("a\u2066b\u2067c\u2068d\u2069e", "abcde", id="bidi-isolates"),
    pytest.param("\ufeffbom", "bom", id="bom"),
    pytest.param("zero\u200dwidth joiner", "zero\u200dwidth joiner", id="zwj-kept"),
    pytest.param("日本語 ✓ 🚀 ünïcödé", "日本語 ✓ 🚀 ünïcödé", id="unicode-kept"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), CLEAN)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_clean_is_idempotent() -> None:
    for param in CLEAN:
        once = clean(param.values[0])
        assert clean(once) == once


def test_clean_returns_the_same_object_when_nothing_to_do() -> None:
    text = "an ordinary log line with\ttabs\nand newlines"
    assert clean(text) is text


ONE_LINE = [
    pytest.param("a\nb", None, "a ⏎ b", id="newline"),
    pytest.param("a\tb", None, "a  b", id="tab"),
    pytest.param("trailing\n", None, "trailing", id="trailing-newline"),
    pytest.param("a\r\nb", None, "a ⏎ b", id="crlf"),
    pytest.param("\x1b[31mred\x1b[0m\nnext", None, "red ⏎ next", id="escapes"),
    pytest.param("abcdefghij", 5, "abcd…", id="truncated"),
    pytest.param("abcde", 5, "abcde", id="exact"),
    pytest.param("abc", 0, "…", id="zero-limit"),
    pytest.param("abc", 1, "…", id="one-limit"),
]


@pytest.mark.parametrize(("text", "limit", "expected"), ONE_LINE)
def test_one_line(text: str, limit: int | None, expected: str) -> None:
    assert one_line(text, limit) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"plain", "plain", id="ascii"),
        pytest.param("日本".encode(), "日本", id="utf8"),
        pytest.param(b"bad \xff\xfe bytes", "bad \ufffd\ufffd bytes", id="invalid"),
        pytest.param(b"\xc2\x9b31m", "\x9b31m", id="c1-bytes-decoded-then-cleaned-later"),
    ],
)
def test_decode_never_raises(data: bytes, expected: str) -> None:
    assert decode(data) == expected


def test_lone_surrogates_become_replacement_characters() -> None:
    from lambdatop.core.sanitize import clean

    cleaned = clean("pair 😀 then lone \ud83d and \udc00 end")
    assert cleaned == "pair 😀 then lone \ufffd and \ufffd end"
    cleaned.encode("utf-8")  # writable: no surrogate is left
