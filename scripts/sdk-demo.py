#!/usr/bin/env python3
"""Sends a few events through the real analytics SDKs to a running teletop.

    scripts/sdk-demo.py http://127.0.0.1:7311 [--rounds N] [--write-key KEY]

Needs the SDKs from PyPI: pip install segment-analytics-python posthog
opentelemetry-sdk opentelemetry-exporter-otlp-proto-http (tests/hostile/run.sh
makes a venv with them at .hostile-venv). Run teletop with --accept-unplanned
to watch events that are in no plan yet. Each SDK is configured the way its
own documentation says to point it at another host: that is all it takes.
"""

import argparse
import logging
import time

logging.basicConfig(level=logging.CRITICAL)

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--write-key", default="demo-key")
parser.add_argument("--only", choices=["segment", "posthog", "otel"], action="append")
args = parser.parse_args()
only = set(args.only or ["segment", "posthog", "otel"])

if "segment" in only:
    import segment.analytics as analytics
    analytics.write_key = args.write_key
    analytics.host = args.url
    for i in range(args.rounds):
        analytics.track(f"user-{i}", "Order Completed", {"order_id": f"o-{1000 + i}", "revenue": 19.5 + i, "currency": "EUR"})
        analytics.page(f"user-{i}", "Docs", "Install", {"url": "https://example.com/docs/install"})
    analytics.identify("user-0", {"email": "ada@example.com", "plan": "pro"})
    analytics.flush()

if "posthog" in only:
    from posthog import Posthog
    ph = Posthog(args.write_key, host=args.url)
    for i in range(args.rounds):
        ph.capture("$pageview", distinct_id=f"person-{i}", properties={"$current_url": "https://example.com/pricing"})
        ph.capture("Signup Clicked", distinct_id=f"person-{i}", properties={"button": "hero", "variant": "b"})
    ph.flush()
    ph.shutdown()

if "otel" in only:
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    provider = LoggerProvider(resource=Resource.create({"service.name": "checkout"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(endpoint=args.url + "/v1/logs")))
    log = provider.get_logger("checkout.payments")
    for i in range(args.rounds):
        log.emit(body=f"payment {i} captured", severity_number=SeverityNumber.INFO,
                 attributes={"event.name": "payment.captured", "amount_cents": 1950 + i, "provider": "stripe"})
    provider.shutdown()
time.sleep(0.2)
