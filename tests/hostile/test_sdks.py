"""The real analytics SDKs, from PyPI, pointed at a real `teletop serve`.

Each test sends through the SDK's own client (its documented host option),
flushes, and reads the events back from /api/telemetry/events: the type, the
fields and the values the README's mapping tables promise, nothing lost, and
the SDK reporting success. With a fault mode on, the SDK retries, teletop
marks the retries it had already taken as duplicates, and every event sent
is there once (plus its marked duplicates).
"""

from __future__ import annotations

import gzip
import json
import logging

import pytest

from conftest import Server

logging.getLogger("segment").setLevel(logging.CRITICAL)
logging.getLogger("posthog").setLevel(logging.CRITICAL)


def events(server: Server, limit: int = 500) -> list[dict]:
    r = server.request("GET", f"/api/telemetry/events?limit={limit}", headers=server_auth(server))
    assert r.status == 200, r
    return list(reversed(r.json()))  # oldest first


def server_auth(server: Server) -> dict:
    token = getattr(server, "token", None)
    return {"Authorization": f"Bearer {token}"} if token else {}


def sdk_meta(e: dict) -> dict:
    return e["payload"]["_sdk"]


# --- Segment -------------------------------------------------------------------

def segment_client(server: Server, write_key: str, errors: list, **options):
    from segment.analytics import Client
    return Client(write_key, host=server.base, on_error=lambda e, batch: errors.append(e), **options)


def test_segment_track_identify_page_arrive_as_the_table_says(serve):
    server = serve("--in-memory", "--accept-unplanned", "--token", "wk-secret")
    server.token = "wk-secret"
    errors: list = []
    c = segment_client(server, "wk-secret", errors, gzip=True)
    c.track("user-1", "Order Completed", {"order_id": "o-1", "revenue": 12.5, "coupon": None},
            context={"app": {"name": "shop"}})
    c.identify("user-1", {"email": "ada@example.com", "plan": "pro"})
    c.page("user-1", "Docs", "Install", {"url": "https://example.com/install"})
    c.flush()
    c.join()
    assert errors == [], errors
    got = [e for e in events(server) if e["payload"]["_sdk"]["protocol"] == "segment"]
    assert [e["event_type"] for e in got] == ["order_completed", "identify", "page"]
    track, identify, page = got
    assert track["payload"]["order_id"] == "o-1" and track["payload"]["revenue"] == 12.5
    assert track["payload"]["coupon"] is None
    assert sdk_meta(track)["event"] == "Order Completed"
    assert sdk_meta(track)["userId"] == "user-1"
    assert sdk_meta(track)["context"]["app"] == {"name": "shop"}
    assert sdk_meta(track)["messageId"]
    assert "writeKey" not in json.dumps(track), "the write key is authentication, never stored"
    assert identify["payload"]["email"] == "ada@example.com" and sdk_meta(identify)["fields_from"] == "traits"
    assert page["payload"]["url"] == "https://example.com/install"
    assert sdk_meta(page)["name"] == "Install" and sdk_meta(page)["category"] == "Docs"
    assert track["client_timestamp"].startswith(sdk_meta(track)["timestamp"][:19])


def test_segment_with_the_wrong_write_key_is_told_401_and_nothing_is_kept(serve):
    server = serve("--in-memory", "--accept-unplanned", "--token", "right")
    server.token = "right"
    errors: list = []
    c = segment_client(server, "wrong", errors, max_retries=0)
    c.track("u", "Clicked", {})
    c.flush()
    c.join()
    assert errors and getattr(errors[0], "status", None) == 401, errors
    assert events(server) == []


# --- PostHog -------------------------------------------------------------------

def test_posthog_capture_and_a_batch(serve):
    server = serve("--in-memory", "--accept-unplanned")
    from posthog import Posthog
    ph = Posthog("phc_project", host=server.base, gzip=True, flush_at=50)
    ph.capture("$pageview", distinct_id="person-1", properties={"$current_url": "https://example.com/"})
    for i in range(20):
        ph.capture("Signup Clicked", distinct_id=f"person-{i}", properties={"button": "hero", "n": i})
    ph.flush()
    ph.shutdown()
    got = [e for e in events(server) if sdk_meta(e)["protocol"] == "posthog"]
    assert len(got) == 21
    assert got[0]["event_type"] == "pageview" and sdk_meta(got[0])["event"] == "$pageview"
    assert got[0]["payload"]["$current_url"] == "https://example.com/"
    assert got[0]["payload"]["$lib"] == "posthog-python"
    clicks = got[1:]
    assert {e["event_type"] for e in clicks} == {"signup_clicked"}
    assert sorted(e["payload"]["n"] for e in clicks) == list(range(20))
    assert len({sdk_meta(e)["uuid"] for e in got}) == 21
    assert all(sdk_meta(e)["distinct_id"].startswith("person-") for e in got)
    assert "phc_project" not in json.dumps(got), "the project key is never stored"


def test_posthog_without_distinct_id_gets_a_400_naming_the_field(serve):
    server = serve("--in-memory", "--accept-unplanned")
    r = server.post_json("/capture/", {"api_key": "k", "event": "x", "properties": {}})
    assert r.status == 400, r
    assert "distinct_id" in r.json()["detail"]


# --- OpenTelemetry --------------------------------------------------------------

def otel_provider(server: Server, **exporter_options):
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    provider = LoggerProvider(resource=Resource.create({"service.name": "checkout"}))
    exporter = OTLPLogExporter(endpoint=server.base + "/v1/logs", **exporter_options)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    return provider, exporter


def test_otel_log_records_over_protobuf_keep_attributes_body_severity_and_resource(serve):
    server = serve("--in-memory", "--accept-unplanned")
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.http import Compression
    provider, _ = otel_provider(server, compression=Compression.Gzip)
    log = provider.get_logger("shop.payments", "1.2.3")
    log.emit(body="payment ok", severity_number=SeverityNumber.INFO, severity_text="INFO",
             attributes={"event.name": "Payment Succeeded", "amount": 42, "ok": True, "ratio": 0.5, "tags": ["a", "b"]})
    log.emit(body={"cart": 3}, severity_number=SeverityNumber.WARN, event_name="cart.abandoned", attributes={"items": 3})
    log.emit(body="no name", attributes={"plain": "yes"})
    provider.shutdown()
    got = [e for e in events(server) if sdk_meta(e)["protocol"] == "otlp"]
    assert [e["event_type"] for e in got] == ["payment_succeeded", "cart.abandoned", "otel_log"]
    pay, cart, plain = got
    assert pay["payload"]["amount"] == 42 and pay["payload"]["ok"] is True and pay["payload"]["ratio"] == 0.5
    assert pay["payload"]["tags"] == ["a", "b"]
    assert sdk_meta(pay)["body"] == "payment ok" and sdk_meta(pay)["severityNumber"] == 9
    assert sdk_meta(pay)["severityText"] == "INFO"
    assert sdk_meta(pay)["resource"]["service.name"] == "checkout"
    assert sdk_meta(pay)["scope"] == {"name": "shop.payments", "version": "1.2.3"}
    assert sdk_meta(cart)["body"] == {"cart": 3} and cart["payload"]["items"] == 3
    assert plain["payload"]["plain"] == "yes"


def test_otlp_json_with_gzip_and_a_partial_success(serve):
    server = serve("--in-memory")  # the contract's plan: an unplanned type is refused
    record_ok = {"timeUnixNano": "1764633600000000000", "attributes": [
        {"key": "event.name", "value": {"stringValue": "error_event"}},
        {"key": "error_type", "value": {"stringValue": "timeout"}},
        {"key": "error_message", "value": {"stringValue": "slow"}}]}
    record_bad = {"attributes": [{"key": "event.name", "value": {"stringValue": "not.planned"}}]}
    body = {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
                              "scopeLogs": [{"scope": {"name": "s"}, "logRecords": [record_ok, record_bad]}]}]}
    r = server.request("POST", "/v1/logs", gzip.compress(json.dumps(body).encode()),
                       {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status == 200, r
    partial = r.json()["partialSuccess"]
    assert partial["rejectedLogRecords"] == "1" and "not.planned" in partial["errorMessage"]
    got = events(server)
    assert [e["event_type"] for e in got] == ["error_event"]
    assert got[0]["client_timestamp"] == "2025-12-02T00:00:00.000Z"


# --- faults and duplicates --------------------------------------------------------

def fault(server: Server, mode: str) -> dict:
    r = server.post_json("/api/telemetry/fault", {"fault": mode})
    assert r.status == 200, r
    return r.json()


def test_dropped_connections_make_segment_retry_and_the_retries_are_marked(serve):
    server = serve("--in-memory", "--accept-unplanned", "--fault", "drop@50%")
    errors: list = []
    c = segment_client(server, "wk", errors, upload_size=1, max_retries=10)
    for i in range(12):
        c.track("u", "Item Viewed", {"i": i})
    c.flush()
    c.join()
    assert errors == [], errors
    got = [e for e in events(server) if e["event_type"] == "item_viewed"]
    originals = [e for e in got if not sdk_meta(e).get("duplicate")]
    marked = [e for e in got if sdk_meta(e).get("duplicate")]
    assert sorted(e["payload"]["i"] for e in originals) == list(range(12)), "every event once, unmarked"
    assert marked, "drop@50% over 12 requests should have made the SDK retry at least once"
    first = {sdk_meta(e)["messageId"] for e in originals}
    assert {sdk_meta(e)["messageId"] for e in marked} <= first, "a duplicate repeats an event already taken"
    stats = server.request("GET", "/api/telemetry/stats").json()
    assert stats["sdk"]["duplicates"] == len(marked)
    assert stats["sdk"]["fault"]["fault"] == "drop@50%"


def test_503_makes_posthog_retry_and_nothing_is_stored_twice(serve):
    server = serve("--in-memory", "--accept-unplanned")
    assert fault(server, "503@50%")["fault"] == "503@50%"
    from posthog import Posthog
    ph = Posthog("k", host=server.base, flush_at=1, max_retries=10)
    for i in range(6):
        ph.capture("thing", distinct_id="p", properties={"i": i})
    ph.flush()
    ph.shutdown()
    got = [e for e in events(server) if e["event_type"] == "thing"]
    assert sorted(e["payload"]["i"] for e in got) == list(range(6))
    assert not any(sdk_meta(e).get("duplicate") for e in got), "a 503 keeps nothing, so its retry is no duplicate"
    assert server.request("GET", "/api/telemetry/stats").json()["sdk"]["fault"]["faulted"] >= 1
    assert fault(server, "off")["fault"] == "off"
    r = server.post_json("/capture/", {"api_key": "k", "event": "after", "distinct_id": "p"})
    assert r.status == 200 and r.json()["status"] == 1


def test_a_429_carries_retry_after(serve):
    server = serve("--in-memory", "--accept-unplanned", "--fault", "429")
    r = server.post_json("/v1/track", {"userId": "u", "event": "X"})
    assert r.status == 429 and r.headers.get("retry-after") == "1", r
    assert r.json()["code"] == "fault_injected"
