"""Incidents at the edge: concurrency limits, a stream source, an API in front, a bad deploy."""

from __future__ import annotations

import random

from lambdatop.demo.incidents.base import (
    AppLine,
    Call,
    EnvironmentState,
    Failure,
    FailureKind,
    Incident,
    InitOutcome,
    Level,
    Outcome,
    Request,
    memory_used,
)
from lambdatop.demo.incidents.helpers import short_id
from lambdatop.demo.timeline import Moment, Phase

HOUR_MS = 3_600_000.0


class ReservedConcurrencyThrottling(Incident):
    """notification-sender: demand rises while the push provider slows down, so ten reserved
    environments are all busy and Lambda throttles the rest."""

    calm_rate = 0.5
    peak_rate = 2.5

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        provider_ms = rng.uniform(120.0, 450.0) + moment.intensity * rng.uniform(3000.0, 8000.0)
        duration = provider_ms + rng.uniform(15.0, 60.0)
        user = short_id(rng, "usr_", 8)
        lines = [AppLine(1.0, Level.INFO, f"sending push to {user} (template=order_shipped)")]
        if provider_ms > 2000:
            lines.append(
                AppLine(provider_ms, Level.WARN, f"push provider slow: {provider_ms:.0f} ms")
            )
        lines.append(AppLine(duration - 1.0, Level.INFO, f"delivered to {user}"))
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(state, rng, rng.uniform(5.0, 15.0), self.scenario.memory_mb),
            lines=lines,
            calls=[Call("push.acme-notify.io", 5.0, provider_ms, http_status=200)],
        )


class StreamFallingBehind(Incident):
    """clickstream-consumer: a poison record makes batches fail and retry; the shard iterator
    stops advancing while producers keep writing, and IteratorAge climbs to hours."""

    calm_rate = 0.4
    peak_rate = 0.4

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(duration_ms=rng.uniform(45.0, 90.0), memory_mb=rng.randint(24, 30))

    def iterator_age_ms(self, moment: Moment, rng: random.Random) -> float:
        noise = rng.uniform(0.97, 1.03)
        if moment.phase is Phase.CALM:
            return rng.uniform(400.0, 2500.0)
        if moment.phase is Phase.ESCALATING:
            return max(800.0, moment.phase_fraction**2 * 2.5 * HOUR_MS * noise)
        if moment.phase is Phase.PEAK:
            return (2.5 + 1.5 * moment.phase_fraction) * HOUR_MS * noise
        # Catching up reads faster than real time, so the age drains quickly
        return max(800.0, (1.0 - moment.phase_fraction) ** 2 * 4.0 * HOUR_MS * noise)

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        shard = f"shardId-00000000000{rng.randint(0, 1)}"
        sequence = f"4965{rng.getrandbits(64):020d}{rng.getrandbits(32):010d}"
        records = rng.randint(40, 100)
        lines = [AppLine(1.0, Level.INFO, f"{shard}: processing {records} records from {sequence}")]
        memory = memory_used(state, rng, rng.uniform(4.0, 12.0), self.scenario.memory_mb)
        if rng.random() < moment.intensity * 0.7:
            duration = rng.uniform(40.0, 220.0)
            poison = f"4965{rng.getrandbits(64):020d}{rng.getrandbits(32):010d}"
            message = f"record {poison}: invalid character '\\x00' looking for beginning of value"
            lines.append(
                AppLine(
                    duration - 2.0,
                    Level.ERROR,
                    f"ERROR {shard}: batch failed, will be retried: {message}",
                )
            )
            return Outcome(
                duration_ms=duration,
                max_memory_mb=memory,
                lines=lines,
                failure=Failure(FailureKind.UNHANDLED, "*json.SyntaxError", message),
            )
        duration = rng.uniform(180.0, 900.0)
        lines.append(
            AppLine(
                duration - 1.0,
                Level.INFO,
                f"{shard}: batch ok, {records} records written to sessions table",
            )
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            calls=[
                Call(
                    "DynamoDB",
                    5.0,
                    duration - 20.0,
                    namespace="aws",
                    operation="BatchWriteItem",
                    http_status=200,
                )
            ],
        )


class SlowBehindApi(Incident):
    """checkout-api: an inventory lock makes requests run 29-35 s; the function succeeds but
    API Gateway has already answered 504 at 29 s."""

    calm_rate = 0.3
    peak_rate = 0.6

    def via_api(self, rng: random.Random) -> str | None:
        return "rest" if rng.random() < 0.7 else "http"

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        cart = short_id(rng, "crt_", 8)
        lines = [AppLine(1.0, Level.INFO, f"POST /checkout cart={cart} items={rng.randint(1, 6)}")]
        if rng.random() < moment.intensity * 0.7:
            reserve_ms = rng.uniform(28500.0, 34500.0)
            lines.append(
                AppLine(
                    20.0 + reserve_ms,
                    Level.WARN,
                    f"inventory-service reserve took {reserve_ms:.0f} ms "
                    f"(lock wait on sku-{rng.randint(1000, 9999)})",
                )
            )
        else:
            reserve_ms = rng.uniform(80.0, 900.0)
        duration = reserve_ms + rng.uniform(60.0, 300.0)
        lines.append(
            AppLine(duration - 2.0, Level.INFO, f"order {short_id(rng, 'ord_')} created for {cart}")
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(state, rng, rng.uniform(20.0, 60.0), self.scenario.memory_mb),
            lines=lines,
            calls=[Call("inventory.internal.acme.io", 20.0, reserve_ms, http_status=200)],
        )


class BadDeploy(Incident):
    """webhook-relay: a build shipped without its `requests` dependency; until the rollback,
    every environment fails to import the handler module."""

    calm_rate = 0.35
    peak_rate = 0.35

    def revision(self, moment: Moment) -> str:
        return "bad" if moment.intensity >= 0.15 else "good"

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        if state.revision == "bad":
            return InitOutcome(
                duration_ms=rng.uniform(250.0, 450.0),
                memory_mb=rng.randint(33, 38),
                error_type="Runtime.ImportModuleError",
            )
        return InitOutcome(duration_ms=rng.uniform(300.0, 480.0), memory_mb=rng.randint(60, 68))

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        if state.revision == "bad":
            return Outcome(
                duration_ms=rng.uniform(260.0, 460.0),
                max_memory_mb=round(state.memory_mb) + rng.randint(0, 2),
                failure=Failure(
                    FailureKind.INIT_ERROR,
                    "Runtime.ImportModuleError",
                    "Unable to import module 'app': No module named 'requests'",
                ),
            )
        event = short_id(rng, "evt_", 12)
        partner = rng.choice(["stripe", "shopify", "github"])
        forward_ms = rng.uniform(40.0, 260.0)
        duration = forward_ms + rng.uniform(10.0, 40.0)
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(state, rng, rng.uniform(3.0, 9.0), self.scenario.memory_mb),
            lines=[
                AppLine(
                    duration - 1.0,
                    Level.INFO,
                    f"relayed {event} from partner={partner} to orders-service: 202",
                ),
            ],
            calls=[Call("orders.internal.acme.io", 5.0, forward_ms, http_status=202)],
        )
