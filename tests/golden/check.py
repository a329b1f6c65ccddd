"""Run today's engine over recorded golden inputs and list every report that changed: the
evidences' (engine only), and the exports' (read again: reader, pipeline and engine).

python -m tests.golden.check DIR [--show N]
"""

from __future__ import annotations

import dataclasses
import difflib
import pickle
import sys
from pathlib import Path

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import ExportError, read_export
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.render import to_json, to_markdown, to_text
from lambdatop.diagnose.thresholds import Thresholds


def fill_new_fields(ev: object) -> None:
    """An Evidence pickled before a field was added lacks it (a slots dataclass restores the
    fields it was given): the field's default, as a new Evidence would hold. So are the event
    source mappings it holds (slots dataclasses too)."""
    for field in dataclasses.fields(ev):  # type: ignore[arg-type]
        if not hasattr(ev, field.name):
            if field.default_factory is not dataclasses.MISSING:
                object.__setattr__(ev, field.name, field.default_factory())
            elif field.default is not dataclasses.MISSING:
                object.__setattr__(ev, field.name, field.default)
    for source in getattr(ev, "event_sources", None) or ():
        fill_new_fields(source)


def _reports(diagnosis: Diagnosis) -> dict[str, str]:
    return {"json": to_json(diagnosis), "md": to_markdown(diagnosis), "txt": to_text(diagnosis)}


def _evidence_reports(path: Path) -> dict[str, str]:
    ev, limits = pickle.loads(path.read_bytes())
    fill_new_fields(ev)
    return _reports(diagnose(ev, limits))


def _export_reports(path: Path) -> dict[str, str]:
    recorded = pickle.loads(path.read_bytes())
    try:
        exported = read_export(recorded["data"], group=recorded["group"])
    except ExportError as error:
        return dict.fromkeys(("json", "md", "txt"), f"export refused: {error}")
    ev = evidence_from_export(exported, **recorded["options"])
    return _reports(diagnose(ev, Thresholds()))


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    show = int(argv[argv.index("--show") + 1]) if "--show" in argv else 3
    changed = total = 0
    for where, today in ((folder, _evidence_reports), (folder / "exports", _export_reports)):
        inputs = sorted(p for p in where.glob("*.pickle") if not p.name.endswith(".reports.pickle"))
        total += len(inputs)
        for path in inputs:
            key = path.name.removesuffix(".pickle")
            expected = pickle.loads((where / f"{key}.reports.pickle").read_bytes())
            now = today(path)
            diffs = [form for form in ("json", "md", "txt") if now[form] != expected[form]]
            if not diffs:
                continue
            changed += 1
            test = (where / f"{key}.test").read_text()
            kind = "export" if where is not folder else "evidence"
            print(f"CHANGED {kind} {key} ({', '.join(diffs)}) from {test}")
            if changed <= show:
                form = diffs[0]
                sys.stdout.writelines(
                    difflib.unified_diff(
                        expected[form].splitlines(True), now[form].splitlines(True), n=1
                    )
                )
    print(f"{total} golden diagnoses, {changed} changed")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
