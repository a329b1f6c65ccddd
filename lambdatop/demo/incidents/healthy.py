"""catalog-search: the control group. It never fails, so a diagnosis of it must be all green."""

from __future__ import annotations

import random

from lambdatop.demo.incidents.base import (
    AppLine,
    Call,
    EnvironmentState,
    Incident,
    InitOutcome,
    Level,
    Outcome,
    Request,
    memory_used,
)
from lambdatop.demo.timeline import Moment

_QUERIES = (
    "running shoes",
    "usb-c hub",
    "espresso grinder",
    "rain jacket",
    "desk lamp",
    "yoga mat",
)


class SteadySearch(Incident):
    calm_rate = 0.5
    peak_rate = 0.6

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(
            duration_ms=rng.uniform(240.0, 380.0),
            memory_mb=rng.randint(78, 86),
            lines=[AppLine(rng.uniform(120.0, 200.0), Level.INFO, "search index client ready")],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        dynamo_ms = rng.uniform(4.0, 14.0)
        search_ms = rng.lognormvariate(3.2, 0.35)
        duration = dynamo_ms + search_ms + rng.uniform(2.0, 8.0)
        query = rng.choice(_QUERIES)
        hits = rng.randint(0, 240)
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(state, rng, rng.uniform(8.0, 20.0), self.scenario.memory_mb),
            lines=[
                AppLine(1.0, Level.INFO, f'search q="{query}" page=1'),
                AppLine(
                    duration - 1.0, Level.INFO, f"search ok hits={hits} took_ms={duration:.0f}"
                ),
            ],
            calls=[
                Call(
                    "DynamoDB",
                    1.5,
                    dynamo_ms,
                    namespace="aws",
                    operation="GetItem",
                    http_status=200,
                ),
                Call(
                    "search.internal.acme.io",
                    2.0 + dynamo_ms,
                    search_ms,
                    http_status=200,
                ),
            ],
        )
