import { test } from "node:test";
import assert from "node:assert/strict";
import type { CallRecord } from "../http/call-record.js";
import type { EdgeRequest } from "../http/edge.js";
import { metricsEndpoint } from "./metrics-endpoint.js";
import { Metrics } from "./metrics.js";
import { outcomeOf } from "../http/call-record.js";
import { parsePrometheusText, sampleValue } from "./prom-text-parser.js";

const call = (o: Partial<CallRecord>): CallRecord => ({ requestId: "r", time: 0, api: "secretsmanager", sourceIp: "127.0.0.1", userAgent: "", status: 200, durationMs: 2, ...o });

test("outcomes: success, unauthenticated, denied, client and server errors", () => {
  assert.equal(outcomeOf({ status: 200 }), "success");
  assert.equal(outcomeOf({ status: 400, errorCode: "UnrecognizedClientException" }), "unauthenticated");
  assert.equal(outcomeOf({ status: 400, errorCode: "InvalidSignatureException" }), "unauthenticated");
  assert.equal(outcomeOf({ status: 400, errorCode: "AccessDeniedException" }), "denied");
  assert.equal(outcomeOf({ status: 400, errorCode: "ResourceNotFoundException" }), "client_error");
  assert.equal(outcomeOf({ status: 500, errorCode: "InternalServiceError" }), "server_error");
});

test("observeCall counts requests, latency, auth failures; secret names only with perSecretLabels", async () => {
  for (const perSecretLabels of [false, true]) {
    const m = new Metrics({ perSecretLabels, processMetrics: false, cacheStats: () => ({ hits: 7, misses: 2, entries: 3 }) });
    m.observeCall(call({ operation: "GetSecretValue", secretName: "/prod/db", durationMs: 0.3 }));
    m.observeCall(call({ operation: "GetSecretValue", secretName: "/prod/db", durationMs: 30 }));
    m.observeCall(call({ status: 400, errorCode: "UnrecognizedClientException" }));
    m.observeCall(call({ operation: "GetSecretValue", status: 400, errorCode: "AccessDeniedException", secretName: "/prod/db" }));
    m.auditWriteLatency.observe(0.002);
    m.auditQueueDepth.set(5);
    const text = await m.render();
    const f = parsePrometheusText(text);
    assert.equal(sampleValue(f, "keyshift_requests_total", { operation: "GetSecretValue", outcome: "success" }), 2);
    assert.equal(sampleValue(f, "keyshift_request_duration_seconds_count", { operation: "GetSecretValue", outcome: "success" }), 2);
    assert.equal(sampleValue(f, "keyshift_request_duration_seconds_bucket", { operation: "GetSecretValue", outcome: "success", le: "0.0005" }), 1);
    assert.equal(sampleValue(f, "keyshift_authentication_failures_total", { code: "UnrecognizedClientException" }), 1);
    assert.equal(sampleValue(f, "keyshift_authorization_failures_total", { operation: "GetSecretValue" }), 1);
    assert.equal(sampleValue(f, "keyshift_cache_lookups_total", { result: "hit" }), 7);
    assert.equal(sampleValue(f, "keyshift_audit_queue_depth"), 5);
    assert.equal(sampleValue(f, "keyshift_audit_write_duration_seconds_count"), 1);
    assert.equal(text.includes("/prod/db"), perSecretLabels);
  }
});

test("GET /metrics: loopback only by default, bearer token when configured", async () => {
  const m = new Metrics({ perSecretLabels: false, processMetrics: false });
  const req = (remoteAddress: string, authorization?: string): EdgeRequest => ({ method: "GET", url: "/metrics", rawHeaders: [], headers: authorization ? { authorization } : {}, body: Buffer.alloc(0), remoteAddress, secure: false });
  const loop = metricsEndpoint(m, { access: "loopback" });
  assert.equal((await loop(req("127.0.0.1"))).status, 200);
  assert.equal((await loop(req("::ffff:127.0.0.1"))).status, 200);
  assert.equal((await loop(req("::1"))).status, 200);
  assert.equal((await loop(req("10.1.2.3"))).status, 403);
  const tok = metricsEndpoint(m, { access: "token", bearerToken: "0123456789abcdef-token" });
  assert.equal((await tok(req("10.1.2.3"))).status, 401);
  assert.equal((await tok(req("10.1.2.3", "Bearer wrong"))).status, 401);
  const ok = await tok(req("10.1.2.3", "Bearer 0123456789abcdef-token"));
  assert.equal(ok.status, 200);
  assert.match(ok.headers["Content-Type"]!, /text\/plain; version=0.0.4/);
});
