import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import type { CallRecord } from "../http/call-record.js";
import { systemPrincipal } from "../iam/principal.js";
import { tempDir } from "../testing/harness.js";
import { DeliveryLog, type DeliveryRecord } from "./delivery-log.js";
import { DeniedBurstDetector } from "./denied-burst.js";
import { signBody, verifySignature } from "./signing.js";
import { WebhookDirectory } from "./webhooks.js";

test("signatures: verified with the right key and a fresh timestamp only", () => {
  const body = '{"type":"RotationFailed"}';
  const sig = signBody("k".repeat(20), 1_700_000_000, body);
  assert.match(sig, /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifySignature("k".repeat(20), "1700000000", sig, body, 1_700_000_100));
  assert.ok(!verifySignature("x".repeat(20), "1700000000", sig, body, 1_700_000_100), "another key");
  assert.ok(!verifySignature("k".repeat(20), "1700000000", sig, `${body} `, 1_700_000_100), "another body");
  assert.ok(!verifySignature("k".repeat(20), "1700000001", sig, body, 1_700_000_100), "another timestamp");
  assert.ok(!verifySignature("k".repeat(20), "1700000000", sig, body, 1_700_001_000), "a replay after the tolerance");
});

test("AccessDeniedBurst: threshold denials within the window, one alarm per burst, per principal", () => {
  let now = 0;
  const bursts: string[] = [];
  const d = new DeniedBurstDetector(3, 10_000, () => now, (p, n) => bursts.push(`${p.userName}:${n}`));
  const deny = (user: string): CallRecord => ({ requestId: "r", time: now, api: "secretsmanager", sourceIp: "", userAgent: "", status: 400, durationMs: 1, errorCode: "AccessDeniedException", principal: systemPrincipal("111122223333", user) });
  d.observe(deny("a"));
  now = 6000;
  d.observe(deny("a"));
  d.observe(deny("b"));
  now = 11_000; // the first denial of a left the window
  d.observe(deny("a"));
  assert.deepEqual(bursts, []);
  d.observe(deny("a"));
  assert.deepEqual(bursts, ["a:3"]);
  d.observe(deny("a"));
  d.observe({ ...deny("a"), errorCode: "ResourceNotFoundException" });
  assert.deepEqual(bursts, ["a:3"], "quiet for one window after an alarm");
  now = 30_000;
  for (let i = 0; i < 3; i++) d.observe(deny("a"));
  assert.deepEqual(bursts, ["a:3", "a:3"]);
});

test("webhooks registered through the API persist 0600, per account; config ones go to every account", () => {
  const dir = tempDir();
  const file = join(dir, "notifications", "webhooks.json");
  const w = new WebhookDirectory([{ name: "ops", url: "http://x/ops", secret: "s".repeat(16), events: [], kind: "webhook" }], file);
  w.put({ name: "mine", url: "http://x/mine", secret: "t".repeat(16), events: ["SecretDeleted"], kind: "webhook", accountId: "111111111111" });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = new WebhookDirectory([], file);
  assert.equal(again.get("111111111111", "mine")?.url, "http://x/mine");
  assert.deepEqual(w.forEvent("111111111111", "SecretDeleted").map((x) => x.name).sort(), ["mine", "ops"]);
  assert.deepEqual(w.forEvent("222222222222", "SecretDeleted").map((x) => x.name), ["ops"]);
  assert.deepEqual(w.forEvent("111111111111", "RotationFailed").map((x) => x.name), ["ops"]);
  assert.ok(again.delete("111111111111", "mine"));
  assert.equal(new WebhookDirectory([], file).get("111111111111", "mine"), undefined);
});

test("delivery log: the last state of a delivery wins after a restart; pending ones end failed", () => {
  const file = join(tempDir(), "deliveries.jsonl");
  const log = new DeliveryLog(file);
  const base: DeliveryRecord = { id: "d1", eventId: "e1", type: "RotationFailed", webhook: "ops", kind: "webhook", target: "http://x", status: "pending", attempts: 1, createdAt: 1, updatedAt: 1 };
  log.record(base);
  log.record({ ...base, status: "delivered", attempts: 2 });
  log.record({ ...base, id: "d2", accountId: "111111111111" });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = new DeliveryLog(file);
  const all = again.list({ accountId: "111111111111", withConfigured: true, limit: 10 });
  assert.deepEqual(all.map((d) => `${d.id}:${d.status}:${d.attempts}`), ["d2:failed:1", "d1:delivered:2"]);
  assert.deepEqual(again.list({ accountId: "111111111111", withConfigured: false, limit: 10 }).map((d) => d.id), ["d2"]);
  assert.deepEqual(again.list({ accountId: "222222222222", withConfigured: false, limit: 10 }), []);
});
