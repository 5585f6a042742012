import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../testing/harness.js";
import { loadConfig } from "./load.js";

test("defaults: 127.0.0.1:8400, embedded store, file master key", () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 8400);
  assert.equal(c.store.url, "sqlite");
  assert.equal(c.masterKey.provider, "file");
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits));
});

test("file < env < flags", () => {
  const dir = tempDir();
  const f = join(dir, "k.toml");
  writeFileSync(f, `port = 1000\nhost = "0.0.0.0"\ndataDir = "/tmp/a"\n[limits]\nmaxBodyBytes = 4096\n`);
  const c = loadConfig({ file: f, env: { KEYSHIFT_PORT: "2000", KEYSHIFT_DATA_DIR: "/tmp/b" }, flags: { dataDir: "/tmp/c" } });
  assert.equal(c.port, 2000);
  assert.equal(c.host, "0.0.0.0");
  assert.equal(c.dataDir, "/tmp/c");
  assert.equal(c.limits.maxBodyBytes, 4096);
  rmSync(dir, { recursive: true });
});

test("unknown keys and bad values are refused with their path", () => {
  const dir = tempDir();
  const f = join(dir, "k.toml");
  writeFileSync(f, `prot = 1\n[limits]\nmaxBody = 3\n`);
  assert.throws(() => loadConfig({ file: f, env: {} }), /prot|maxBody/);
  assert.throws(() => loadConfig({ env: { KEYSHIFT_PORT: "99999" } }), /port/);
  assert.throws(() => loadConfig({ env: { KEYSHIFT_ACCOUNT_ID: "123" } }), /bootstrap.accountId/);
  rmSync(dir, { recursive: true });
});

test("empty environment variables are ignored; KEYSHIFT_MASTER_KEY selects the env provider", () => {
  const c = loadConfig({ env: { KEYSHIFT_PORT: "", KEYSHIFT_MASTER_KEY: Buffer.alloc(32).toString("base64") } });
  assert.equal(c.port, 8400);
  assert.equal(c.masterKey.provider, "env");
});
