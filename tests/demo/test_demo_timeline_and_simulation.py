"""The incident cycle and the per-function simulation, without a server."""

from __future__ import annotations

import pytest

from lambdatop.demo.formats import render_invocation
from lambdatop.demo.incidents import incident_for
from lambdatop.demo.scenarios import CHECK_IDS, SCENARIOS, select_scenarios
from lambdatop.demo.simulation import FunctionSimulator
from lambdatop.demo.timeline import CYCLE_SECONDS, Phase, Timeline

T0 = 1_795_000_000.0


def test_cycle_goes_calm_escalating_peak_recovering() -> None:
    timeline = Timeline(anchor=T0)
    phases = [timeline.moment(T0 + s).phase for s in range(0, int(CYCLE_SECONDS), 30)]
    order = [phase for i, phase in enumerate(phases) if i == 0 or phases[i - 1] != phase]
    assert order == [Phase.CALM, Phase.ESCALATING, Phase.PEAK, Phase.RECOVERING]
    assert timeline.moment(T0).intensity == 0.0


def test_speed_compresses_the_cycle() -> None:
    slow, fast = Timeline(anchor=T0, speed=1.0), Timeline(anchor=T0, speed=10.0)
    assert fast.moment(T0 + 60.0).cycle_position == pytest.approx(
        slow.moment(T0 + 600.0).cycle_position
    )


@pytest.mark.parametrize("offset", [scenario.phase_offset for scenario in SCENARIOS])
def test_every_hour_window_contains_a_peak(offset: float) -> None:
    timeline = Timeline(anchor=T0)
    for window_start in range(0, 3 * int(CYCLE_SECONDS), 97):
        moments = (timeline.moment(T0 + window_start + s, offset).phase for s in range(0, 3600, 20))
        assert Phase.PEAK in moments


def test_scenarios_are_well_formed() -> None:
    assert len(SCENARIOS) >= 11
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)
    for scenario in SCENARIOS:
        assert set(scenario.checks) <= set(CHECK_IDS)
        assert scenario.log_group == f"/aws/lambda/{scenario.name}"
    assert [s for s in SCENARIOS if s.healthy]
    runtimes = {s.runtime for s in SCENARIOS}
    assert {"java17", "java21", "provided.al2023"} <= runtimes
    assert any(r.startswith("python") for r in runtimes)
    assert any(r.startswith("nodejs") for r in runtimes)


def test_unknown_scenario_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid names: catalog-search") as error:
        select_scenarios(["payment-processor", "nope"])
    assert "'nope'" in str(error.value)
    assert [s.name for s in select_scenarios(["webhook-relay", "catalog-search"])] == [
        "catalog-search",
        "webhook-relay",
    ]


def _run(name: str, seconds: int, seed: int, speed: float = 1.0) -> list[str]:
    scenario = next(s for s in SCENARIOS if s.name == name)
    simulator = FunctionSimulator(scenario, incident_for(scenario), Timeline(T0, speed), seed)
    lines: list[str] = []
    for second in range(seconds):
        for invocation in simulator.step(T0 + second).invocations:
            lines.extend(
                f"{invocation.stream} {line.message}" for line in render_invocation(invocation)
            )
    return lines


def test_seeded_runs_are_identical() -> None:
    assert _run("payment-processor", 300, seed=3) == _run("payment-processor", 300, seed=3)
    assert _run("payment-processor", 300, seed=3) != _run("payment-processor", 300, seed=4)


def test_healthy_function_never_fails() -> None:
    lines = _run("catalog-search", 1200, seed=5, speed=5.0)
    assert len([line for line in lines if " REPORT " in line]) > 300
    assert not [line for line in lines if "ERROR" in line or "Status:" in line]


def test_reserved_concurrency_throttles_at_the_peak() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "notification-sender")
    simulator = FunctionSimulator(scenario, incident_for(scenario), Timeline(T0, 5.0), 1)
    throttles, peak_concurrency = 0, 0
    for second in range(600):
        result = simulator.step(T0 + second)
        throttles += result.throttles
        peak_concurrency = max(peak_concurrency, result.concurrency)
    assert throttles > 0
    assert peak_concurrency == scenario.reserved_concurrency
