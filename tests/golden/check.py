"""Run today's engine over recorded golden inputs and list every report that changed.

python -m tests.golden.check DIR [--show N]
"""

from __future__ import annotations

import dataclasses
import difflib
import pickle
import sys
from pathlib import Path

from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.render import to_json, to_markdown, to_text


def fill_new_fields(ev: object) -> None:
    """An Evidence pickled before a field was added lacks it (a slots dataclass restores the
    fields it was given): the field's default, as a new Evidence would hold."""
    for field in dataclasses.fields(ev):  # type: ignore[arg-type]
        if not hasattr(ev, field.name):
            if field.default_factory is not dataclasses.MISSING:
                object.__setattr__(ev, field.name, field.default_factory())
            elif field.default is not dataclasses.MISSING:
                object.__setattr__(ev, field.name, field.default)


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    show = int(argv[argv.index("--show") + 1]) if "--show" in argv else 3
    inputs = sorted(p for p in folder.glob("*.pickle") if not p.name.endswith(".reports.pickle"))
    changed = 0
    for path in inputs:
        key = path.name.removesuffix(".pickle")
        ev, limits = pickle.loads(path.read_bytes())
        fill_new_fields(ev)
        expected = pickle.loads((folder / f"{key}.reports.pickle").read_bytes())
        diagnosis = diagnose(ev, limits)
        now = {"json": to_json(diagnosis), "md": to_markdown(diagnosis), "txt": to_text(diagnosis)}
        diffs = [form for form in ("json", "md", "txt") if now[form] != expected[form]]
        if diffs:
            changed += 1
            test = (folder / f"{key}.test").read_text()
            print(f"CHANGED {key} ({', '.join(diffs)}) from {test}")
            if changed <= show:
                form = diffs[0]
                sys.stdout.writelines(
                    difflib.unified_diff(
                        expected[form].splitlines(True), now[form].splitlines(True), n=1
                    )
                )
    print(f"{len(inputs)} golden diagnoses, {changed} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
