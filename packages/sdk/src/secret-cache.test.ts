import assert from "node:assert/strict";
import { test } from "node:test";
import { SecretCache } from "./secret-cache.js";
import { secretIdMatches } from "./secret-match.js";
import type { SecretValue } from "./secret-value.js";

const value = (name: string, versionId: string, stages: string[]): SecretValue => ({ ARN: `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-AbCdEf`, Name: name, VersionId: versionId, VersionStages: stages, SecretString: "x" });

test("cache: LRU bound, holdings merged per version, invalidation keeps the value but expires it", () => {
  let changes = 0;
  const c = new SecretCache({ maxEntries: 2, onHoldingsChanged: () => changes++ });
  const a = c.entry("a");
  c.store(a, value("a", "v1", ["AWSCURRENT"]), a.generation, 1, 100);
  const aById = c.entry("a", "v1");
  c.store(aById, value("a", "v1", ["AWSCURRENT"]), aById.generation, 1, 100);
  assert.deepEqual(c.holdings(), [{ ARN: value("a", "v1", []).ARN, VersionId: "v1", VersionStages: ["AWSCURRENT"] }]);
  c.entry("a"); // most recently used now
  const b = c.entry("b");
  assert.equal(c.size, 2);
  c.store(b, value("b", "v9", ["AWSCURRENT"]), b.generation, 1, 100);
  assert.deepEqual(c.holdings().map((h) => h.VersionId), ["v1", "v9"]);
  assert.equal(c.entry("a"), a, "kept: recently used");
  assert.deepEqual(c.invalidate((e) => e === aById), [], "evicted: least recently used");
  const gen = a.generation;
  assert.deepEqual(c.invalidate((e) => e.request.SecretId === "a").map((e) => e.request.SecretId), ["a"]);
  assert.equal(a.expiresAt, 0);
  assert.equal(a.value?.VersionId, "v1", "kept for stale-if-error");
  c.store(a, value("a", "v0", ["AWSCURRENT"]), gen, 0, 100);
  assert.equal(a.value?.VersionId, "v1", "an overtaken request does not replace a newer value");
  c.store(a, value("a", "v2", ["AWSCURRENT"]), gen, 5, 100);
  assert.equal(a.expiresAt, 0, "a request started before the invalidation stores an expired value");
  assert.ok(changes >= 3);
  c.clear();
  assert.equal(c.size, 0);
  assert.deepEqual(c.holdings(), []);
});

test("secretIdMatches: name in the same region, full ARN, partial ARN", () => {
  const s = { ARN: "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf", Name: "prod/db", Region: "us-east-1" };
  assert.ok(secretIdMatches("prod/db", s, "us-east-1"));
  assert.ok(!secretIdMatches("prod/db", s, "eu-west-1"));
  assert.ok(secretIdMatches(s.ARN, s, "eu-west-1"));
  assert.ok(secretIdMatches("arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db", s, "us-east-1"));
  assert.ok(!secretIdMatches("prod/db2", s, "us-east-1"));
});
