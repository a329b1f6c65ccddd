"""Names of the CloudWatch series the store keeps, shared by the pollers, the diagnosis and the UI.

A key is `<MetricName>` for a Sum or Maximum that has one natural statistic, else
`<MetricName>:<stat>` (`Duration:Average`, `Duration:p99`).
"""

from __future__ import annotations

INVOCATIONS = "Invocations"
ERRORS = "Errors"
THROTTLES = "Throttles"
DURATION_AVG = "Duration:Average"
DURATION_MAX = "Duration:Maximum"
DURATION_P50 = "Duration:p50"
DURATION_P99 = "Duration:p99"
CONCURRENCY = "ConcurrentExecutions"
ITERATOR_AGE = "IteratorAge"
ASYNC_EVENT_AGE = "AsyncEventAge"

ACCOUNT_CONCURRENCY = "ConcurrentExecutions"
ACCOUNT_UNRESERVED = "UnreservedConcurrentExecutions"

API_COUNT = "Count"
API_5XX = "5XXError"
API_4XX = "4XXError"
API_LATENCY = "Latency:Maximum"
API_INTEGRATION_LATENCY = "IntegrationLatency:Maximum"
