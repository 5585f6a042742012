import { test } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../log.js";
import { UpstreamError, type GetSecretValueRequest, type SecretDescription, type SecretValue, type Upstream } from "../upstream/upstream.js";
import { SecretCache } from "./secret-cache.js";

const ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";

/** An upstream whose secret is a list of versions with labels; every call is recorded. */
function fakeUpstream() {
  const versions = new Map<string, { value: string; stages: string[] }>([["v1", { value: "one", stages: ["AWSCURRENT"] }]]);
  const calls: string[] = [];
  let failure: UpstreamError | undefined;
  /** While set, GetSecretValue answers wait for it, with the value read when the call arrived. */
  let gate: Promise<void> | undefined;
  const up: Upstream = {
    async getSecretValue(r: GetSecretValueRequest): Promise<SecretValue> {
      calls.push(`get:${r.VersionId ?? ""}:${r.VersionStage ?? ""}`);
      await Promise.resolve();
      if (failure) throw failure;
      const stage = r.VersionStage ?? (r.VersionId ? undefined : "AWSCURRENT");
      const hit = [...versions].find(([id, v]) => (r.VersionId === undefined || id === r.VersionId) && (stage === undefined || v.stages.includes(stage)));
      if (!hit) throw new UpstreamError("service", "not found", 400, "ResourceNotFoundException");
      const answer = { ARN, Name: "db", VersionId: hit[0], SecretString: hit[1].value, VersionStages: [...hit[1].stages], CreatedDate: 1700000000.5 };
      if (gate) await gate;
      return answer;
    },
    async describeSecret(): Promise<SecretDescription> {
      calls.push("describe");
      if (failure) throw failure;
      return { ARN, Name: "db", VersionIdsToStages: Object.fromEntries([...versions].filter(([, v]) => v.stages.length > 0).map(([id, v]) => [id, v.stages])) };
    },
    subscribe: () => ({ close() {} }),
    report: async () => {},
  };
  return {
    up, calls, versions,
    fail: (e: UpstreamError | undefined) => (failure = e),
    /** Holds GetSecretValue answers until the returned function is called. */
    hold(): () => void {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    put(id: string, value: string) {
      for (const v of versions.values()) v.stages = v.stages.filter((s) => s !== "AWSCURRENT" && s !== "AWSPREVIOUS").concat(v.stages.includes("AWSCURRENT") ? ["AWSPREVIOUS"] : []);
      versions.set(id, { value, stages: ["AWSCURRENT"] });
    },
  };
}

function setup(o: { ttlMs?: number; size?: number; maxStaleMs?: number; ignore?: boolean } = {}) {
  const f = fakeUpstream();
  let now = 1_000_000;
  const changes: string[] = [];
  const cache = new SecretCache({
    upstream: f.up, ttlMs: o.ttlMs ?? 300_000, size: o.size ?? 1000, maxStaleMs: o.maxStaleMs ?? 60_000, ignoreTransientErrors: o.ignore ?? true, logger: silentLogger,
    now: () => now, onChange: (e, why) => changes.push(`${why}:${e.value.VersionId}`),
  });
  return { f, cache, changes, advance: (ms: number) => (now += ms) };
}

test("a hit within the TTL makes no call; the body is the AWS agent's with CreatedDate as a string", async () => {
  const { f, cache } = setup();
  const a = await cache.get({ secretId: "db" });
  const b = await cache.get({ secretId: "db" });
  assert.equal(a.entry, b.entry);
  assert.deepEqual(f.calls, ["get::"]);
  assert.equal(a.entry.body.toString(), `{"ARN":"${ARN}","Name":"db","VersionId":"v1","SecretString":"one","VersionStages":["AWSCURRENT"],"CreatedDate":"1700000000.5"}`);
});

test("after the TTL, DescribeSecret renews an entry whose version kept its stage, and refetches one that lost it", async () => {
  const { f, cache, advance } = setup({ ttlMs: 1000 });
  await cache.get({ secretId: "db" });
  advance(1000);
  await cache.get({ secretId: "db" });
  assert.deepEqual(f.calls, ["get::", "describe"]);
  f.put("v2", "two");
  advance(1000);
  const r = await cache.get({ secretId: "db" });
  assert.equal(r.entry.value.SecretString, "two");
  assert.deepEqual(f.calls, ["get::", "describe", "describe", "get::"]);
});

test("concurrent misses share one upstream call; keys differ by versionId and versionStage", async () => {
  const { f, cache } = setup();
  await Promise.all([cache.get({ secretId: "db" }), cache.get({ secretId: "db" }), cache.get({ secretId: "db" })]);
  await cache.get({ secretId: "db", versionStage: "AWSCURRENT" });
  await cache.get({ secretId: "db", versionId: "v1" });
  assert.deepEqual(f.calls, ["get::", "get::AWSCURRENT", "get:v1:"]);
  assert.equal(cache.size, 3);
});

test("refreshNow always calls; its failure is returned and the cache keeps its entry", async () => {
  const { f, cache } = setup();
  await cache.get({ secretId: "db" });
  f.fail(new UpstreamError("connection", "ECONNREFUSED"));
  await assert.rejects(cache.get({ secretId: "db" }, true), UpstreamError);
  f.fail(undefined);
  assert.equal((await cache.get({ secretId: "db" })).entry.value.VersionId, "v1");
  f.put("v2", "two");
  assert.equal((await cache.get({ secretId: "db" }, true)).entry.value.VersionId, "v2");
  assert.equal((await cache.get({ secretId: "db" })).entry.value.VersionId, "v2");
});

test("LRU: beyond cache_size the least recently used entry goes", async () => {
  const { cache } = setup({ size: 2 });
  const a = await cache.get({ secretId: "db", versionId: "v1" });
  await cache.get({ secretId: "db" });
  cache.touch(a.entry);
  await cache.get({ secretId: "db", versionStage: "AWSCURRENT" });
  assert.equal(cache.size, 2);
  assert.equal(a.entry.evicted, false);
  assert.deepEqual([...cache.entries()].map((e) => e.query), [{ secretId: "db", versionId: "v1" }, { secretId: "db", versionStage: "AWSCURRENT" }]);
});

test("a transient failure serves the last good value as stale until max_stale, then the error; other errors at once", async () => {
  const { f, cache, advance } = setup({ ttlMs: 1000, maxStaleMs: 5000 });
  await cache.get({ secretId: "db" });
  advance(1500);
  f.fail(new UpstreamError("connection", "ECONNREFUSED"));
  assert.equal((await cache.get({ secretId: "db" })).stale, true);
  advance(4000);
  assert.equal((await cache.get({ secretId: "db" })).stale, true);
  advance(1000);
  await assert.rejects(cache.get({ secretId: "db" }), (e: UpstreamError) => e.kind === "connection");
  f.fail(undefined);
  assert.equal((await cache.get({ secretId: "db" })).stale, false);
  advance(1500);
  f.fail(new UpstreamError("service", "denied", 400, "AccessDeniedException"));
  await assert.rejects(cache.get({ secretId: "db" }), (e: UpstreamError) => e.code === "AccessDeniedException");
});

test("ignore_transient_errors = false: no stale answers", async () => {
  const { f, cache, advance } = setup({ ttlMs: 1000, ignore: false });
  await cache.get({ secretId: "db" });
  advance(1000);
  f.fail(new UpstreamError("timeout", "slow"));
  await assert.rejects(cache.get({ secretId: "db" }));
});

test("a feed change: labels only when the version keeps its stage, a refetch when it lost it, removal on deletion", async () => {
  const { f, cache, changes } = setup();
  const cur = (await cache.get({ secretId: "db" })).entry;
  const byId = (await cache.get({ secretId: "db", versionId: "v1" })).entry;
  f.put("v2", "two");
  cache.applyChange({ Seq: 1, Type: "SecretChanged", Region: "us-east-1", ARN, Name: "db", VersionIdsToStages: { v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"] } });
  assert.deepEqual(byId.value.VersionStages, ["AWSPREVIOUS"]);
  assert.ok(cur.pending, "the AWSCURRENT entry is being refetched");
  assert.equal((await cache.get({ secretId: "db" })).entry.value.SecretString, "two");
  assert.deepEqual(f.calls, ["get::", "get:v1:", "get::"]);
  assert.ok(changes.includes("value:v2"));
  cache.applyChange({ Seq: 2, Type: "SecretChanged", Region: "us-east-1", ARN: ARN.replace("db-", "other-"), Name: "other" });
  assert.equal(f.calls.length, 3, "another secret's change touches nothing");
  cache.applyChange({ Seq: 3, Type: "SecretDeleted", Region: "us-east-1", ARN, Name: "db" });
  assert.equal(cache.size, 0);
  assert.equal(cur.evicted, true);
});

test("a change that arrives while a refresh is under way fetches again: that refresh may have read the value before the change", async () => {
  const { f, cache } = setup();
  await cache.get({ secretId: "db" });
  const stages = (cur: string) => ({ v1: cur === "v1" ? ["AWSCURRENT"] : [], v2: cur === "v2" ? ["AWSCURRENT"] : cur === "v3" ? ["AWSPREVIOUS"] : [], v3: cur === "v3" ? ["AWSCURRENT"] : [] });
  const release = f.hold();
  f.put("v2", "two");
  cache.applyChange({ Seq: 1, Type: "SecretChanged", Region: "us-east-1", ARN, Name: "db", VersionIdsToStages: stages("v2") });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(f.calls, ["get::", "get::"], "the refresh for the first change has read v2 and waits");
  // A second change while it waits (a rotation's finishSecret right after its createSecret).
  f.put("v3", "three");
  cache.applyChange({ Seq: 2, Type: "SecretChanged", Region: "us-east-1", ARN, Name: "db", VersionIdsToStages: stages("v3") });
  release();
  const got = await cache.get({ secretId: "db" });
  assert.equal(got.entry.value.SecretString, "three", "not the value read before the second change");
  assert.deepEqual(f.calls, ["get::", "get::", "get::"]);
});

test("revalidateAll (a feed reset) describes every entry now; holdings list each version once", async () => {
  const { f, cache } = setup();
  await cache.get({ secretId: "db" });
  await cache.get({ secretId: "db", versionStage: "AWSCURRENT" });
  assert.deepEqual(cache.holdings(), [{ ARN, VersionId: "v1", VersionStages: ["AWSCURRENT"] }]);
  cache.revalidateAll();
  await cache.get({ secretId: "db" });
  assert.deepEqual(f.calls.filter((c) => c === "describe").length, 2);
});

test("ttl 0 disables the cache", async () => {
  const { f, cache } = setup({ ttlMs: 0 });
  await cache.get({ secretId: "db" });
  await cache.get({ secretId: "db" });
  assert.equal(f.calls.length, 2);
  assert.equal(cache.size, 0);
});
