"""One function's traffic, second by second: arrivals, execution environments, throttles.

Each simulated second draws arrivals, hands each to a free warm environment (most recently
used first, as Lambda does) or starts a new one with a cold start, throttles what exceeds the
reserved concurrency, and retires idle, old, dead or outdated environments. The incident decides
what every invocation does; this module only does the bookkeeping Lambda does.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from dataclasses import dataclass, field

from lambdatop.demo.formats.clock import stream_date
from lambdatop.demo.incidents.base import EnvironmentState, FailureKind, Incident, Request
from lambdatop.demo.invocation import ColdStart, SimulatedInvocation, TraceIds
from lambdatop.demo.scenarios import Scenario
from lambdatop.demo.timeline import Timeline

RUNTIME_VERSIONS: dict[str, str] = {
    "python3.11": "python:3.11.v52",
    "python3.12": "python:3.12.v38",
    "nodejs20.x": "nodejs:20.v44",
    "java17": "java:17.v41",
    "java21": "java:21.v30",
    "provided.al2023": "provided:al2023.v91",
}

IDLE_SECONDS = (300.0, 720.0)
"""How long Lambda keeps an idle environment before reclaiming it (a range, drawn per env)."""
SAMPLING_RATE = 0.05
"""X-Ray's default rule: the first request each second (the reservoir), then 5% of the rest."""
MAX_AGE_SECONDS = (900.0, 1800.0)
"""Environments are recycled after a while even when busy; this also bounds every stream."""


def runtime_version_arn(runtime_version: str) -> str:
    digest = hashlib.sha256(runtime_version.encode()).hexdigest()
    return f"arn:aws:lambda:us-east-1::runtime:{digest}"


@dataclass(slots=True)
class Environment:
    """One execution environment: one log stream."""

    env_id: str
    stream: str
    created_at: float
    busy_until: float
    revision: str
    state: EnvironmentState
    idle_seconds: float
    max_age_seconds: float
    dead: bool = False


@dataclass(slots=True)
class StepResult:
    """What one function did during one simulated second."""

    invocations: list[SimulatedInvocation] = field(default_factory=list)
    throttles: int = 0
    concurrency: int = 0
    iterator_ages: list[float] = field(default_factory=list)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small per-second means used here."""
    if mean <= 0:
        return 0
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class FunctionSimulator:
    """Simulates one function's execution environments and invocations."""

    def __init__(
        self,
        scenario: Scenario,
        incident: Incident,
        timeline: Timeline,
        seed: int,
        version: str = "$LATEST",
    ) -> None:
        self.scenario = scenario
        self.incident = incident
        self.timeline = timeline
        self.version = version
        self.rng = random.Random(f"{seed}:{scenario.name}")
        self.runtime_version = RUNTIME_VERSIONS.get(scenario.runtime, scenario.runtime)
        self.runtime_version_arn = runtime_version_arn(self.runtime_version)
        self.environments: list[Environment] = []
        self._reservoir_second = -1

    def step(self, second: float) -> StepResult:
        """Simulate the arrivals of [second, second + 1)."""
        result = StepResult()
        moment = self.timeline.moment(second, self.scenario.phase_offset)
        revision = self.incident.revision(moment)
        self._retire(second, revision)
        arrivals = sorted(
            second + self.rng.random()
            for _ in range(poisson(self.rng, self.incident.arrivals_per_second(moment)))
        )
        for arrival in arrivals:
            invocation = self._invoke(arrival, revision, result)
            if invocation is not None:
                result.invocations.append(invocation)
                age = self.incident.iterator_age_ms(moment, self.rng)
                if age is not None:
                    result.iterator_ages.append(age)
        result.concurrency = sum(
            1 for env in self.environments if env.created_at <= second < env.busy_until
        )
        return result

    def _invoke(
        self, arrival: float, revision: str, result: StepResult
    ) -> SimulatedInvocation | None:
        env = self._free_environment(arrival, revision)
        cold_start: ColdStart | None = None
        moment = self.timeline.moment(arrival, self.scenario.phase_offset)
        if env is None:
            limit = self.scenario.reserved_concurrency
            if limit is not None and self._busy(arrival) >= limit:
                result.throttles += 1
                return None
            env = self._new_environment(arrival, revision)
            init = self.incident.init(moment, self.rng, env.state)
            env.state.memory_mb = float(init.memory_mb)
            cold_start = ColdStart(arrival, init, restore=self.scenario.snapstart)
            start = arrival + init.duration_ms / 1000.0
        else:
            start = arrival
        request = Request(self._request_id(), via_api=self.incident.via_api(self.rng))
        outcome = self.incident.invoke(moment, self.rng, env.state, request)
        env.state.invocations += 1
        invocation = SimulatedInvocation(
            scenario=self.scenario,
            stream=env.stream,
            version=self.version,
            request=request,
            start=start,
            outcome=outcome,
            runtime_version=self.runtime_version,
            runtime_version_arn=self.runtime_version_arn,
            environment_id=env.env_id,
            cold_start=cold_start,
            trace=self._trace_ids(arrival) if self._sampled(arrival) else None,
        )
        env.busy_until = invocation.end
        failure = outcome.failure
        # Lambda replaces an environment whose runtime was killed or that timed out
        if failure is not None and failure.kind in (FailureKind.OUT_OF_MEMORY, FailureKind.TIMEOUT):
            env.dead = True
        return invocation

    def _free_environment(self, arrival: float, revision: str) -> Environment | None:
        best: Environment | None = None
        for env in self.environments:
            if env.dead or env.revision != revision or env.busy_until > arrival:
                continue
            if best is None or env.busy_until > best.busy_until:
                best = env
        return best

    def _busy(self, at: float) -> int:
        return sum(1 for env in self.environments if env.busy_until > at)

    def _new_environment(self, at: float, revision: str) -> Environment:
        env_id = f"{self.rng.getrandbits(128):032x}"
        env = Environment(
            env_id=env_id,
            stream=f"{stream_date(at)}/[{self.version}]{env_id}",
            created_at=at,
            busy_until=at,
            revision=revision,
            state=EnvironmentState(revision=revision),
            idle_seconds=self.rng.uniform(*IDLE_SECONDS),
            max_age_seconds=self.rng.uniform(*MAX_AGE_SECONDS),
        )
        self.environments.append(env)
        return env

    def _retire(self, now: float, revision: str) -> None:
        def alive(env: Environment) -> bool:
            if env.busy_until > now:
                return True
            if env.dead or env.revision != revision:
                return False
            idle = now - env.busy_until
            return idle < env.idle_seconds and now - env.created_at < env.max_age_seconds

        self.environments = [env for env in self.environments if alive(env)]

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _sampled(self, arrival: float) -> bool:
        if not self.scenario.tracing:
            return False
        second = int(arrival)
        if second != self._reservoir_second:
            self._reservoir_second = second
            return True
        return self.rng.random() < SAMPLING_RATE

    def _trace_ids(self, arrival: float) -> TraceIds:
        return TraceIds(
            trace_id=f"1-{int(arrival):08x}-{self.rng.getrandbits(96):024x}",
            segment_id=f"{self.rng.getrandbits(64):016x}",
            service_segment_id=f"{self.rng.getrandbits(64):016x}",
        )
