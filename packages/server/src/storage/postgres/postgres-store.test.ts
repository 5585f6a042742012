/**
 * The store conformance suite on PostgreSQL (a fresh database on the machine's server, dropped
 * afterwards), plus what only a shared database has: concurrent migrations, several stores
 * (nodes) on one database, and notifications between them.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { storeConformance } from "../store-conformance.js";
import { CachingStore } from "../caching-store.js";
import { StoreConflict } from "../store.js";
import type { SecretRecord } from "../../secrets/records.js";
import type { AuditCheckpoint, AuditRecord } from "../../audit/records.js";
import type { Store } from "../store.js";
import { SqliteStore } from "../sqlite/sqlite-store.js";
import { tempDir } from "../../testing/harness.js";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { PostgresStore, type ExternalChange } from "./postgres-store.js";
import { postgresMigrations } from "./migrations.js";
import { createTestDatabase, sharedPostgresUnavailable, type TestDatabase } from "./test-database.js";

const unavailable = await sharedPostgresUnavailable();

if (unavailable !== undefined) {
  test("PostgreSQL store conformance", (t) => {
    if (process.env.CI === "true") throw new Error(`${unavailable} is required in CI but is not available`);
    console.log(`# skipped: ${unavailable} not available`);
    t.skip(`${unavailable} not available`);
  });
} else {
  storeConformance("postgres", async () => {
    const db = await createTestDatabase();
    let store = await PostgresStore.open({ url: db.url, poolSize: 4 });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await PostgresStore.open({ url: db.url, poolSize: 4 });
        return store;
      },
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  });

  storeConformance("postgres behind the read cache", async () => {
    const db = await createTestDatabase();
    const make = async () => {
      const inner = await PostgresStore.open({ url: db.url, poolSize: 4 });
      return new CachingStore(inner, { maxSecrets: 3, externalStamp: () => inner.externalStamp(), externalCheckMs: 0, externalChanges: (fn) => inner.onExternalChange(fn) });
    };
    let store = await make();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await make();
        return store;
      },
      cleanup: async () => {
        await store.close();
        await db.drop();
      },
    };
  });

  describe("PostgreSQL store: several nodes on one database", () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase();
    });
    after(async () => db.drop());

    const sealed = (t: string) => ({ keyId: "k", wrappedKey: Buffer.from(t), ciphertext: Buffer.from(t) });
    const secret = (name: string): SecretRecord => {
      const uid: string = randomUUID();
      return { uid, accountId: "111111111111", region: "us-east-1", name, arn: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-${uid.slice(0, 6)}`, createdAt: 1, lastChangedAt: 1, revision: 1 };
    };

    test("five nodes starting at once on an empty database migrate it exactly once", async () => {
      const fresh = await createTestDatabase();
      try {
        const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open({ url: fresh.url, poolSize: 2 })));
        const rows = (await stores[0]!.pool.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).rows;
        assert.deepEqual(rows.map((r) => r.version), postgresMigrations.map((_, i) => i + 1));
        await stores[1]!.setMeta("k", "v");
        assert.equal(await stores[4]!.getMeta("k"), "v");
        await Promise.all(stores.map((s) => s.close()));
      } finally {
        await fresh.drop();
      }
    });

    test("a node id is held while its node lives: a second store with the same id refuses to open, until the first closes", async () => {
      const a = await PostgresStore.open({ url: db.url, poolSize: 1, nodeId: "dup" });
      await assert.rejects(PostgresStore.open({ url: db.url, poolSize: 1, nodeId: "dup" }), /another Keyshift node with rotation.nodeId "dup"/);
      const other = await PostgresStore.open({ url: db.url, poolSize: 1, nodeId: "other" });
      await a.close();
      const b = await PostgresStore.open({ url: db.url, poolSize: 1, nodeId: "dup" });
      await b.close();
      await other.close();
    });

    test("concurrent label moves and revision writes from two nodes: exactly one wins each round, nothing half-applied", async () => {
      const a = await PostgresStore.open({ url: db.url, poolSize: 4 });
      const b = await PostgresStore.open({ url: db.url, poolSize: 4 });
      try {
        const s = secret(`race-${randomUUID().slice(0, 8)}`);
        await a.commit([{ op: "insertSecret", secret: s }, { op: "insertVersion", secretUid: s.uid, versionId: "v0", createdAt: 0, kind: "string", sealed: sealed("0") }, { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v0" }]);
        let cur = s;
        let winnerTag = "";
        for (let round = 1; round <= 20; round++) {
          const attempt = (store: PostgresStore, tag: string) =>
            store.commit([
              { op: "insertVersion", secretUid: s.uid, versionId: `v${round}${tag}`, createdAt: round, kind: "string", sealed: sealed(tag) },
              { op: "setStage", secretUid: s.uid, stage: "AWSPREVIOUS", versionId: (round === 1 ? "v0" : `v${round - 1}${winnerTag}`) },
              { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: `v${round}${tag}` },
              { op: "updateSecret", secret: { ...cur, revision: cur.revision + 1, lastChangedAt: round } },
            ]);
          const results = await Promise.allSettled([attempt(a, "a"), attempt(b, "b")]);
          const won = results.map((r) => r.status === "fulfilled");
          assert.equal(won.filter(Boolean).length, 1, `round ${round}`);
          for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof StoreConflict && r.reason.kind === "revision", String(r.reason));
          winnerTag = won[0] ? "a" : "b";
          const loser = won[0] ? "b" : "a";
          assert.equal((await b.getVersionByStage(s.uid, "AWSCURRENT"))?.versionId, `v${round}${winnerTag}`);
          assert.equal(await a.getVersion(s.uid, `v${round}${loser}`), undefined, "the losing commit left nothing behind");
          cur = (await a.getSecretByUid(s.uid))!;
          assert.equal(cur.revision, round + 1);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("the same idempotency token from two nodes at once: one version, the other gets a version conflict", async () => {
      const a = await PostgresStore.open({ url: db.url, poolSize: 2 });
      const b = await PostgresStore.open({ url: db.url, poolSize: 2 });
      try {
        const s = secret(`idem-${randomUUID().slice(0, 8)}`);
        await a.commit([{ op: "insertSecret", secret: s }]);
        const put = (store: PostgresStore) => store.commit([{ op: "insertVersion", secretUid: s.uid, versionId: "token-1", createdAt: 1, kind: "string", sealed: sealed("x") }]);
        const results = await Promise.allSettled([put(a), put(b), put(a), put(b)]);
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
        for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof StoreConflict && r.reason.kind === "version", String(r.reason));
        assert.deepEqual((await b.listVersions(s.uid)).map((v) => v.versionId), ["token-1"]);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("rotation journals: one running rotation per secret and one winner per revision across nodes", async () => {
      const a = await PostgresStore.open({ url: db.url, poolSize: 4 });
      const b = await PostgresStore.open({ url: db.url, poolSize: 4 });
      try {
        const s = secret(`rot-${randomUUID().slice(0, 8)}`);
        await a.commit([{ op: "insertSecret", secret: s }]);
        const rot = (owner: string) => ({
          id: randomUUID(), secretUid: s.uid, accountId: s.accountId, region: s.region, secretArn: s.arn, secretName: s.name, token: randomUUID(),
          rotatorArn: "arn:aws:lambda:us-east-1:111111111111:function:f", rotationToken: "rt", options: {}, method: "automatic" as const, status: "running" as const,
          plan: ["createSecret" as const], steps: [], startedAt: 1, attempt: 1, revision: 1, leaseOwner: owner, leaseUntil: 10,
        });
        const starts = await Promise.allSettled([a.commit([{ op: "insertRotation", rotation: rot("a") }]), b.commit([{ op: "insertRotation", rotation: rot("b") }])]);
        assert.equal(starts.filter((r) => r.status === "fulfilled").length, 1);
        for (const r of starts) if (r.status === "rejected") assert.ok(r.reason instanceof StoreConflict && r.reason.kind === "rotation");
        const running = (await a.getRunningRotation(s.uid))!;
        // Two nodes find the lease expired and claim it at once: one claim wins.
        const claim = (store: PostgresStore, owner: string) => store.commit([{ op: "updateRotation", rotation: { ...running, leaseOwner: owner, leaseUntil: 100, revision: running.revision + 1 } }]);
        const claims = await Promise.allSettled([claim(a, "a"), claim(b, "b"), claim(a, "a2"), claim(b, "b2")]);
        assert.equal(claims.filter((r) => r.status === "fulfilled").length, 1);
        assert.equal((await b.getRotation(running.id))!.revision, 2);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test("a commit on one node reaches the others as a notification naming the secret, and their caches drop it", async () => {
      const a = await PostgresStore.open({ url: db.url, poolSize: 2 });
      const b = await PostgresStore.open({ url: db.url, poolSize: 2 });
      const cachedB = new CachingStore(b, { maxSecrets: 100, externalStamp: () => b.externalStamp(), externalChanges: (fn) => b.onExternalChange(fn) });
      try {
        const s = secret(`note-${randomUUID().slice(0, 8)}`);
        const seen: ExternalChange[] = [];
        const own: ExternalChange[] = [];
        b.onExternalChange((c) => seen.push(c));
        a.onExternalChange((c) => own.push(c));
        await a.commit([{ op: "insertSecret", secret: s }, { op: "insertVersion", secretUid: s.uid, versionId: "v1", createdAt: 1, kind: "string", sealed: sealed("1") }, { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v1" }]);
        for (let i = 0; i < 100 && !seen.some((c) => c !== "all" && c.includes(s.uid)); i++) await new Promise((r) => setTimeout(r, 10));
        assert.ok(seen.some((c) => c !== "all" && c.includes(s.uid)), "node b heard of the commit");
        assert.equal((await cachedB.getVersionByStage(s.uid, "AWSCURRENT"))?.versionId, "v1");
        assert.equal((await cachedB.getSecretByName(s.accountId, s.region, s.name))?.revision, 1);
        await a.commit([
          { op: "insertVersion", secretUid: s.uid, versionId: "v2", createdAt: 2, kind: "string", sealed: sealed("2") },
          { op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId: "v2" },
          { op: "updateSecret", secret: { ...s, revision: 2, description: "moved" } },
        ]);
        // The notification travels after a's commit: b's cache may answer the old state for a moment, not longer.
        let v: string | undefined;
        let d: string | undefined;
        for (let i = 0; i < 100; i++) {
          v = (await cachedB.getVersionByStage(s.uid, "AWSCURRENT"))?.versionId;
          d = (await cachedB.getSecretByName(s.accountId, s.region, s.name))?.description;
          if (v === "v2" && d === "moved") break;
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(v, "v2", "the cached read on node b sees the new AWSCURRENT");
        assert.equal(d, "moved", "and the new metadata");
        // Stays fresh: nothing stale was cached while the notification was on its way.
        assert.equal((await cachedB.getVersionByStage(s.uid, "AWSCURRENT"))?.versionId, "v2");
        assert.equal((await cachedB.getSecretByName(s.accountId, s.region, s.name))?.description, "moved");
        assert.ok(!own.some((c) => c !== "all" && c.includes(s.uid)), "a node does not notify itself");
      } finally {
        await a.close();
        await cachedB.close();
      }
    });
  });

  test("the audit trail answers exactly as SQLite's does (the same records, queries, summaries and pruning on both)", async () => {
    const db = await createTestDatabase();
    const dir = tempDir();
    const pgStore = await PostgresStore.open({ url: db.url, poolSize: 2 });
    const lite = new SqliteStore({ path: join(dir, "k.db") });
    try {
      const hash = (chain: string, seq: number) => `${chain}${seq}`.padEnd(64, "f");
      const rec = (chain: string, seq: number, p: Partial<AuditRecord> = {}): AuditRecord => ({
        chain, seq, time: 1_000 + seq * 10 + (chain === "b" ? 5 : 0), requestId: `r-${chain}-${seq}`, api: "secretsmanager", operation: seq % 3 === 0 ? "PutSecretValue" : "GetSecretValue",
        accountId: "111111111111", principalArn: `arn:aws:iam::111111111111:user/u${seq % 2}`, sourceIp: "127.0.0.1", userAgent: "ua",
        ...(seq % 4 !== 0 ? { secretArn: `arn:aws:secretsmanager:us-east-1:111111111111:secret:s${seq % 3}-abcdef`, secretName: `s${seq % 3}` } : {}),
        outcome: seq % 5 === 0 ? "denied" : "success", status: seq % 5 === 0 ? 400 : 200, ...(seq % 5 === 0 ? { errorCode: "AccessDeniedException" } : {}),
        durationMs: 1.5, prevHash: seq === 1 ? "0".repeat(64) : hash(chain, seq - 1), hash: hash(chain, seq), ...p,
      });
      const cp = (chain: string, seq: number, kind: "checkpoint" | "anchor" = "checkpoint"): AuditCheckpoint => ({ kind, chain, seq, hash: hash(chain, seq), time: 5_000 + seq, sig: `sig-${chain}-${seq}` });
      const both = async <T>(fn: (s: Store) => Promise<T>): Promise<T> => {
        const [x, y] = await Promise.all([fn(lite), fn(pgStore)]);
        assert.deepEqual(y, x);
        return y;
      };
      for (const chain of ["a", "b"]) {
        for (let i = 1; i <= 30; i += 10) {
          const batch = { records: Array.from({ length: 10 }, (_, k) => rec(chain, i + k)), checkpoints: [cp(chain, i + 9)] };
          await both((s) => s.appendAudit!(batch));
        }
      }
      assert.equal(await both((s) => s.appendAudit!({ records: [rec("a", 5)], checkpoints: [] }).then(() => "stored", () => "refused")), "refused", "a seq stored twice");
      assert.equal(await both((s) => s.appendAudit!({ records: [rec("a", 32, { prevHash: hash("a", 30) })], checkpoints: [cp("a", 32)] }).then(() => "stored", () => "refused")), "refused", "a gap");
      assert.equal(await both((s) => s.appendAudit!({ records: [rec("a", 31, { prevHash: hash("b", 30) })], checkpoints: [] }).then(() => "stored", () => "refused")), "refused", "a wrong link");
      assert.equal((await pgStore.listAuditChain("a", 0, 100)).length, 30, "a refused batch leaves nothing behind");
      assert.deepEqual((await pgStore.listAuditCheckpoints("a")).map((c) => c.seq), [10, 20, 30]);
      await both((s) => s.auditChains!());
      await both((s) => s.listAuditChain!("b", 7, 5));
      await both((s) => s.listAuditCheckpoints!("a"));
      for (const q of [
        { limit: 100 }, { chain: "a", limit: 7 }, { outcome: "denied" as const, limit: 100 }, { operations: ["PutSecretValue"], since: 1_050, until: 1_200, limit: 100 },
        { principalArn: "arn:aws:iam::111111111111:user/u1", limit: 100 }, { secretArn: "arn:aws:secretsmanager:us-east-1:111111111111:secret:s1-abcdef", limit: 100 },
        { before: { time: 1_155, chain: "b", seq: 15 }, limit: 10 }, { accountId: "222222222222", limit: 10 },
      ]) {
        await both((s) => s.queryAudit!(q));
      }
      for (const groupBy of ["principal", "secret"] as const) {
        await both((s) => s.summarizeAudit!({ accountId: "111111111111", groupBy, limit: 10 }));
        await both((s) => s.summarizeAudit!({ accountId: "111111111111", groupBy, operations: ["GetSecretValue"], since: 1_100, limit: 1 }));
      }
      await both((s) => s.pruneAudit!(cp("a", 20, "anchor")));
      await both((s) => s.listAuditCheckpoints!("a"));
      await both((s) => s.auditChains!());
      await both((s) => s.pruneAudit!(cp("b", 30, "anchor")));
      await both((s) => s.auditChains!());
      // A chain whose records retention removed continues from its anchor.
      await both((s) => s.appendAudit!({ records: [rec("b", 31)], checkpoints: [] }));
      await both((s) => s.auditChains!());
      await both((s) => s.listAuditChain!("b", 0, 100));
    } finally {
      await pgStore.close();
      await lite.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
