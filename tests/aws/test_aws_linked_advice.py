"""The metric commands a diagnosis suggests for a source account's function reach its account:
a monitoring account reads them with `get-metric-data`, each query naming the account
(GetMetricStatistics has no account to name). Checked against botocore's service model, as the
real-log corpus's advice is."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import botocore.session
from botocore.validate import ParamValidator

from lambdatop.aws.pollers.linked import linked_config
from lambdatop.core.store import Store
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state

sys.path.insert(0, str(Path(__file__).parent.parent / "reallogs"))
from advice import problems_of_command

SOURCE = "222222222222"
NOW_MS = 1_800_000_000_000


def _metric_commands() -> list[str]:
    store = Store()
    config = linked_config("us-east-1", "checkout", SOURCE)
    state = store.function(config.name)
    state.config = store.inventory[config.name] = config
    ev = from_state(state, store, start_ms=NOW_MS - 3_600_000, end_ms=NOW_MS)
    ev.region = "us-east-1"
    steps = [s.text for c in diagnose(ev).checks for s in c.steps if s.command]
    return [s for s in steps if s.startswith("aws cloudwatch ")]


def test_a_source_account_s_metrics_are_asked_in_its_account() -> None:
    commands = _metric_commands()
    assert commands, "the diagnosis suggests metric commands"
    model = botocore.session.get_session().get_service_model("cloudwatch")
    shape = model.operation_model("GetMetricData").input_shape
    for command in commands:
        assert command.startswith("aws cloudwatch get-metric-data "), command
        assert problems_of_command(command, now_ms=NOW_MS) == []
        words = shlex.split(command)
        queries = json.loads(words[words.index("--metric-data-queries") + 1])
        params = {"MetricDataQueries": queries, "StartTime": 0, "EndTime": 1}
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()
        for query in queries:
            assert query["AccountId"] == SOURCE
            dimensions = query["MetricStat"]["Metric"]["Dimensions"]
            if query["MetricStat"]["Metric"]["Namespace"] == "AWS/Lambda":
                assert dimensions == [{"Name": "FunctionName", "Value": "checkout"}]
