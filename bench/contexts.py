"""`python -m bench contexts`: a fleet of several profiles × regions (issue 15, item 3).

- Connecting: each context's AWS session and the services' models, read before its first call
  (in the monitor's connect thread). The models are read once for all contexts: a second,
  third, fourth context should cost a small part of the first.
- Merging: four contexts of 2,500 functions each listing into one fleet of 10,000, and one
  context listing again (every 5 minutes), which must stay far under a frame.
"""

from __future__ import annotations

import subprocess
import sys
import time

from lambdatop.core.fleet import FleetStore
from lambdatop.core.records import FunctionConfig
from lambdatop.core.sources import Context

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-2")
PER_CONTEXT = 2_500

CONNECT = r"""
import os, sys, time
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                  AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
from lambdatop.aws.policy import ALLOWED
from lambdatop.aws.session import Aws, AwsTarget
for region in sys.argv[1:]:
    start = time.perf_counter()
    Aws(AwsTarget(region=region)).load_models(ALLOWED)
    print(time.perf_counter() - start)
"""


def _connect_s() -> list[float]:
    """Each context's session and models, in a fresh process (the models not yet read)."""
    out = subprocess.run(
        [sys.executable, "-c", CONNECT, *REGIONS], capture_output=True, text=True, check=True
    ).stdout
    return [float(line) for line in out.split()]


def _configs(region: str, account: str) -> list[FunctionConfig]:
    return [
        FunctionConfig(
            name=f"fn-{i:05d}",
            arn=f"arn:aws:lambda:{region}:{account}:function:fn-{i:05d}",
            memory_mb=512,
        )
        for i in range(PER_CONTEXT)
    ]


def bench_contexts() -> None:
    print("\n== several profiles × regions: one fleet ==")
    connects = min((_connect_s() for _ in range(3)), key=sum)
    print(f"  first context's session and models    {connects[0] * 1000:8.0f} ms")
    extra = max(connects[1:])
    label = f"each next context (worst of {len(connects) - 1})"
    print(f"  {label:38} {extra * 1000:8.0f} ms  (target ≤ 200 ms)")
    fleet = FleetStore()
    contexts = [fleet.add_context(Context("prod", region)) for region in REGIONS]
    listings = [_configs(region, "123456789012") for region in REGIONS]
    start = time.perf_counter()
    for context, configs in zip(contexts, listings, strict=True):
        context.set_inventory(configs)
    merged = time.perf_counter() - start
    print(
        f"  {len(fleet.inventory):,} functions listed by {len(contexts)} contexts"
        f"     {merged * 1000:8.1f} ms"
    )
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        contexts[0].set_inventory(listings[0])
        runs.append(time.perf_counter() - start)
    print(f"  one context listing again               {min(runs) * 1000:8.1f} ms  (target ≤ 50 ms)")
