import { copyFileSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDir } from "../../testing/harness.js";
import { storeConformance } from "../store-conformance.js";
import { SqliteStore } from "./sqlite-store.js";
import { CachingStore } from "../caching-store.js";

for (const writer of ["inline", "thread"] as const) {
  storeConformance(`sqlite, ${writer} writes`, async () => {
    const dir = tempDir();
    const path = join(dir, "keyshift.db");
    let store = new SqliteStore({ path, writer });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = new SqliteStore({ path, writer });
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

test("the database file is created 0600 even under a permissive umask", async () => {
  const dir = tempDir();
  const old = process.umask(0o022);
  try {
    const s = new SqliteStore({ path: join(dir, "k.db") });
    await s.setMeta("x", "y");
    assert.equal(statSync(join(dir, "k.db")).mode & 0o777, 0o600);
    await s.close();
  } finally {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("migrations run once; reopening an existing database keeps its data", async () => {
  const dir = tempDir();
  const path = join(dir, "k.db");
  const a = new SqliteStore({ path });
  await a.setMeta("k", "v");
  await a.close();
  const b = new SqliteStore({ path });
  assert.equal(await b.getMeta("k"), "v");
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

storeConformance("sqlite behind the read cache", async () => {
  const dir = tempDir();
  const path = join(dir, "keyshift.db");
  const make = () => {
    const inner = new SqliteStore({ path, writer: "thread" });
    return { inner, store: new CachingStore(inner, { maxSecrets: 3, externalStamp: () => inner.dataVersion(), externalCheckMs: 0 }) };
  };
  let cur = make();
  return {
    store: cur.store,
    reopen: async () => {
      await cur.store.close();
      cur = make();
      return cur.store;
    },
    cleanup: async () => {
      await cur.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

test("the read cache sees commits made by another process (another connection)", async () => {
  const dir = tempDir();
  const path = join(dir, "k.db");
  const a = new SqliteStore({ path, writer: "thread" });
  const cached = new CachingStore(a, { maxSecrets: 100, externalStamp: () => a.dataVersion(), externalCheckMs: 0 });
  const other = new SqliteStore({ path });
  const s = { uid: "u1", accountId: "111111111111", region: "us-east-1", name: "n", arn: "arn:aws:secretsmanager:us-east-1:111111111111:secret:n-abcdef", createdAt: 1, lastChangedAt: 1, revision: 1 };
  const sealed = (t: string) => ({ keyId: "k", wrappedKey: Buffer.from(t), ciphertext: Buffer.from(t) });
  await cached.commit([{ op: "insertSecret", secret: s }, { op: "insertVersion", secretUid: "u1", versionId: "v1", createdAt: 1, kind: "string", sealed: sealed("1") }, { op: "setStage", secretUid: "u1", stage: "AWSCURRENT", versionId: "v1" }]);
  assert.equal((await cached.getSecretByName(s.accountId, s.region, "n"))?.revision, 1);
  assert.equal((await cached.getVersionByStage("u1", "AWSCURRENT"))?.versionId, "v1");
  await other.commit([{ op: "insertVersion", secretUid: "u1", versionId: "v2", createdAt: 2, kind: "string", sealed: sealed("2") }, { op: "setStage", secretUid: "u1", stage: "AWSCURRENT", versionId: "v2" }, { op: "updateSecret", secret: { ...s, revision: 2, description: "elsewhere" } }]);
  // The writer thread publishes the other process's commit within its 50 ms poll.
  await new Promise((r) => setTimeout(r, 120));
  assert.equal((await cached.getVersionByStage("u1", "AWSCURRENT"))?.versionId, "v2");
  assert.equal((await cached.getSecretByArn(s.arn))?.description, "elsewhere");
  await other.close();
  await cached.close();
  rmSync(dir, { recursive: true, force: true });
});

test("with the writer thread, committed writes reach the database file by the checkpointer thread's checkpoints, not the writer's", async () => {
  const dir = tempDir();
  const path = join(dir, "k.db");
  const store = new SqliteStore({ path, writer: "thread" });
  try {
    const s = { uid: "u1", accountId: "111111111111", region: "us-east-1", name: "n", arn: "arn:aws:secretsmanager:us-east-1:111111111111:secret:n-abcdef", createdAt: 1, lastChangedAt: 1, revision: 1 };
    await store.commit([{ op: "insertSecret", secret: s }]);
    // A few pages: far below any autocheckpoint threshold, so only the checkpointer copies them from the WAL into the file.
    const inFile = () => {
      const copy = join(dir, `copy-${Date.now()}.db`);
      copyFileSync(path, copy);
      const db = new Database(copy, { readonly: true });
      try {
        return (db.prepare(`SELECT COUNT(*) FROM secrets WHERE uid = 'u1'`).pluck().get() as number) === 1;
      } catch {
        return false;
      } finally {
        db.close();
      }
    };
    const deadline = Date.now() + 5000;
    while (!inFile() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(inFile(), "the commit was copied into the database file (the file alone, without its WAL, has the row)");
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
