import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID, randomInt } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { join } from "node:path";
import { CLI, runProcess, spawnServer, tempDir } from "../testing/harness.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { smClient } from "../testing/sm-client.js";

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 3);

test(`acknowledged writes survive kill -9 (${ROUNDS} rounds, random moments)`, async () => {
  const dataDir = tempDir();
  const acked = new Map<string, { secret: string; value: string }>();
  for (let round = 0; round < ROUNDS; round++) {
    const srv = await spawnServer(dataDir);
    const c = smClient(srv.endpoint);
    const name = `crash/${round}`;
    const first = randomUUID();
    await c.send(new CreateSecretCommand({ Name: name, SecretString: `v-${first}`, ClientRequestToken: first }));
    acked.set(first, { secret: name, value: `v-${first}` });
    let stop = false;
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const token = randomUUID();
        const value = `value-${token}`;
        try {
          await c.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: token }));
          acked.set(token, { secret: name, value });
        } catch {
          return; // the server died mid-request: that write was never acknowledged
        }
      }
    });
    await new Promise((r) => setTimeout(r, randomInt(150, 1200)));
    await srv.kill9();
    stop = true;
    await Promise.all(writers);
  }
  assert.ok(acked.size > ROUNDS * 5, `only ${acked.size} writes were acknowledged`);
  const srv = await spawnServer(dataDir);
  const c = smClient(srv.endpoint);
  try {
    for (const [versionId, { secret, value }] of acked) {
      const got = await c.send(new GetSecretValueCommand({ SecretId: secret, VersionId: versionId }));
      assert.equal(got.SecretString, value, `version ${versionId} of ${secret}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const cur = await c.send(new GetSecretValueCommand({ SecretId: `crash/${round}` }));
      assert.ok(cur.SecretString?.startsWith("v"), "every secret has a readable AWSCURRENT");
      const all: string[][] = [];
      let next: string | undefined;
      do {
        const page = await c.send(new ListSecretVersionIdsCommand({ SecretId: `crash/${round}`, IncludeDeprecated: true, MaxResults: 100, ...(next ? { NextToken: next } : {}) }));
        all.push(...page.Versions!.map((v) => v.VersionStages ?? []));
        next = page.NextToken;
      } while (next);
      assert.equal(all.filter((stages) => stages.includes("AWSCURRENT")).length, 1, "exactly one AWSCURRENT");
      assert.equal(all.filter((stages) => stages.includes("AWSPREVIOUS")).length, 1, "exactly one AWSPREVIOUS");
    }
  } finally {
    await srv.stop();
  }
  // Fail-closed audit (the default): every acknowledged write has its record, although most were
  // killed before their journal reached the database (the restarted server moved it there).
  const store = new SqliteStore({ path: join(dataDir, "keyshift.db") });
  try {
    const recorded = new Set<string>();
    for (let after = 0; ; ) {
      const page = await store.listAuditChain("local", after, 5000);
      if (page.length === 0) break;
      for (const r of page) if (r.outcome === "success" && r.versionId && (r.operation === "PutSecretValue" || r.operation === "CreateSecret")) recorded.add(r.versionId);
      after = page.at(-1)!.seq;
    }
    const missing = [...acked.keys()].filter((v) => !recorded.has(v));
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged writes have no audit record`);
  } finally {
    await store.close();
  }
  const v = await runProcess(process.execPath, [CLI, "audit", "verify", "--data-dir", dataDir], { PATH: process.env.PATH, KEYSHIFT_LOG_LEVEL: "silent" }, 60_000);
  assert.equal(v.code, 0, v.stderr + v.stdout);
});
