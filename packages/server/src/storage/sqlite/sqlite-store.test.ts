import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDir } from "../../testing/harness.js";
import { storeConformance } from "../store-conformance.js";
import { SqliteStore } from "./sqlite-store.js";

storeConformance("sqlite", async () => {
  const dir = tempDir();
  const path = join(dir, "keyshift.db");
  let store = new SqliteStore({ path });
  return {
    store,
    reopen: async () => {
      await store.close();
      store = new SqliteStore({ path });
      return store;
    },
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

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
