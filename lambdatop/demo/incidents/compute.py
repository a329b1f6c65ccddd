"""Incidents about the execution environment itself: cold starts, SnapStart restores, memory."""

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
from lambdatop.demo.incidents.helpers import java_frames, short_id
from lambdatop.demo.timeline import Moment


class ColdStartStorm(Incident):
    """pricing-engine: a Spring Boot JVM in a VPC; a traffic burst means a burst of 6-10 s inits."""

    calm_rate = 0.2
    peak_rate = 1.5

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        duration = rng.uniform(6000.0, 9800.0)
        started = duration / 1000.0 - rng.uniform(0.3, 0.6)
        return InitOutcome(
            duration_ms=duration,
            memory_mb=rng.randint(300, 340),
            lines=[
                AppLine(
                    rng.uniform(400.0, 700.0),
                    Level.INFO,
                    "[main] INFO  c.a.pricing.PricingApplication - Starting PricingApplication "
                    "v4.2.1 using Java 17.0.13",
                    raw=True,
                ),
                AppLine(
                    duration * 0.55,
                    Level.INFO,
                    "[main] INFO  com.zaxxer.hikari.HikariDataSource - pricing-pool - "
                    "Start completed.",
                    raw=True,
                ),
                AppLine(
                    duration - 200.0,
                    Level.INFO,
                    f"[main] INFO  c.a.pricing.PricingApplication - Started PricingApplication in "
                    f"{started:.3f} seconds (process running for {duration / 1000.0:.3f})",
                    raw=True,
                ),
            ],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        first = state.invocations == 0
        # The first request after init runs interpreted code: JIT warm-up makes it slow
        rates_ms = rng.uniform(900.0, 2600.0) if first else rng.uniform(30.0, 160.0)
        duration = rates_ms + (rng.uniform(300.0, 700.0) if first else rng.uniform(40.0, 220.0))
        quote = short_id(rng, "q_", 8)
        lines = [AppLine(2.0, Level.INFO, f"QuoteHandler - pricing quote {quote} for 3 line items")]
        calls = [Call("rates.internal.acme.io", 5.0, rates_ms, http_status=200)]
        failure = None
        if first and moment.intensity > 0.5 and rng.random() < 0.06:
            duration = 5000.0 + rng.uniform(20.0, 80.0)
            lines.append(
                AppLine(
                    duration - 5.0,
                    Level.ERROR,
                    "RatesClient - rates-service call failed after 5000 ms (cold JVM)",
                )
            )
            calls = [
                Call(
                    "rates.internal.acme.io",
                    5.0,
                    5000.0,
                    fault=True,
                    exception="java.net.SocketTimeoutException: Read timed out",
                )
            ]
            failure = Failure(
                FailureKind.UNHANDLED,
                "java.net.SocketTimeoutException",
                "Read timed out",
                java_frames(
                    "java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:288)",
                    "com.acme.pricing.rates.RatesClient.fetch(RatesClient.java:74)",
                    "com.acme.pricing.QuoteHandler.handleRequest(QuoteHandler.java:41)",
                ),
            )
        else:
            lines.append(
                AppLine(
                    duration - 2.0,
                    Level.INFO,
                    f"QuoteHandler - quote {quote} priced in {duration:.0f} ms",
                )
            )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(state, rng, rng.uniform(20.0, 60.0), self.scenario.memory_mb),
            lines=lines,
            failure=failure,
            calls=calls,
        )


class SnapStartRestores(Incident):
    """invoice-renderer: Java 21 with SnapStart; its cold starts are sub-second restores."""

    calm_rate = 0.3
    peak_rate = 0.5

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        duration = rng.uniform(280.0, 900.0)
        return InitOutcome(
            duration_ms=duration,
            memory_mb=rng.randint(380, 420),
            lines=[
                AppLine(
                    duration - 30.0,
                    Level.INFO,
                    "[main] INFO  c.a.invoices.RenderHandler - afterRestore: refreshed credentials "
                    "and re-seeded SecureRandom",
                    raw=True,
                )
            ],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        extra = rng.uniform(250.0, 500.0) if state.invocations == 0 else 0.0
        s3_ms = rng.uniform(25.0, 90.0)
        duration = rng.uniform(380.0, 1600.0) + extra + s3_ms
        invoice = short_id(rng, "inv_", 8)
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory_used(
                state, rng, rng.uniform(40.0, 160.0), self.scenario.memory_mb
            ),
            lines=[
                AppLine(3.0, Level.INFO, f"RenderHandler - rendering {invoice} (2 pages)"),
                AppLine(
                    duration - 2.0, Level.INFO, f"RenderHandler - stored invoices/{invoice}.pdf"
                ),
            ],
            calls=[
                Call(
                    "S3",
                    duration - s3_ms - 1.0,
                    s3_ms,
                    namespace="aws",
                    operation="PutObject",
                    http_status=200,
                )
            ],
        )


class LeakingEncoder(Incident):
    """video-encoder: an HTTP agent that never closes its sockets; memory climbs per warm
    environment until the kernel kills it at the limit, and a fresh environment starts low."""

    calm_rate = 0.22
    peak_rate = 0.32

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(
            duration_ms=rng.uniform(260.0, 460.0),
            memory_mb=rng.randint(140, 170),
            lines=[
                AppLine(150.0, Level.INFO, "ffmpeg layer loaded: /opt/bin/ffmpeg 6.1.1", raw=False)
            ],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        limit = self.scenario.memory_mb
        clip = f"raw/clip-{rng.randint(1000, 9999)}.mov"
        duration = rng.uniform(3000.0, 14000.0)
        working_set = rng.uniform(120.0, 240.0)
        # The leak grows faster at the peak: slow CDN origins keep more sockets half-open
        leak = rng.uniform(6.0, 12.0) + 55.0 * moment.intensity
        sockets = int(state.invocations * (4 + 30 * moment.intensity)) + rng.randint(2, 6)
        lines = [
            AppLine(
                2.0, Level.INFO, f"transcoding s3://acme-media-uploads/{clip} -> 4 HLS renditions"
            ),
            AppLine(
                5.0,
                Level.INFO,
                f"upload agent: {sockets} sockets open (keepAlive), "
                f"heapUsed={state.memory_mb:.0f} MB",
            ),
        ]
        if state.memory_mb + working_set >= limit - 8:
            died_at = rng.uniform(1500.0, duration)
            if rng.random() < 0.35:
                lines.append(
                    AppLine(
                        died_at - 40.0,
                        Level.ERROR,
                        "FATAL ERROR: Reached heap limit Allocation failed - "
                        "JavaScript heap out of memory",
                        raw=True,
                    )
                )
            return Outcome(
                duration_ms=died_at,
                max_memory_mb=limit,
                lines=lines,
                failure=Failure(FailureKind.OUT_OF_MEMORY, "Runtime.OutOfMemory", "signal: killed"),
                calls=[
                    Call(
                        "S3",
                        10.0,
                        died_at - 20.0,
                        namespace="aws",
                        operation="GetObject",
                        http_status=200,
                    )
                ],
            )
        used = memory_used(state, rng, working_set, limit)
        state.memory_mb += leak
        lines.append(
            AppLine(duration - 3.0, Level.INFO, f"encoded {clip} in {duration / 1000.0:.1f} s")
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=used,
            lines=lines,
            calls=[
                Call(
                    "S3",
                    10.0,
                    rng.uniform(200.0, 800.0),
                    namespace="aws",
                    operation="GetObject",
                    http_status=200,
                ),
                Call(
                    "S3",
                    duration - 600.0,
                    rng.uniform(200.0, 580.0),
                    namespace="aws",
                    operation="PutObject",
                    http_status=200,
                ),
            ],
        )


__all__ = ["ColdStartStorm", "LeakingEncoder", "SnapStartRestores"]
