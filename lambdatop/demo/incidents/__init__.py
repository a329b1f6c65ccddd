"""The incidents the simulated functions live through, one strategy per function."""

from __future__ import annotations

from lambdatop.demo.incidents.base import Incident
from lambdatop.demo.incidents.compute import ColdStartStorm, LeakingEncoder, SnapStartRestores
from lambdatop.demo.incidents.downstream import PoolExhaustion, RoleChangeDenied, VpcExhaustion
from lambdatop.demo.incidents.edge import (
    BadDeploy,
    ReservedConcurrencyThrottling,
    SlowBehindApi,
    StreamFallingBehind,
)
from lambdatop.demo.incidents.healthy import SteadySearch
from lambdatop.demo.scenarios import Scenario

INCIDENTS: dict[str, type[Incident]] = {
    "catalog-search": SteadySearch,
    "pricing-engine": ColdStartStorm,
    "invoice-renderer": SnapStartRestores,
    "payment-processor": PoolExhaustion,
    "video-encoder": LeakingEncoder,
    "report-exporter": RoleChangeDenied,
    "notification-sender": ReservedConcurrencyThrottling,
    "inventory-sync": VpcExhaustion,
    "clickstream-consumer": StreamFallingBehind,
    "checkout-api": SlowBehindApi,
    "webhook-relay": BadDeploy,
}


def incident_for(scenario: Scenario) -> Incident:
    return INCIDENTS[scenario.name](scenario)


__all__ = ["INCIDENTS", "Incident", "incident_for"]
