import { randomUUID } from "node:crypto";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { secretArn, signRequest } from "@keyshift/protocol";
import { loadConfig } from "../config/load.js";
import { bindings } from "../crypto/bindings.js";
import { Envelope } from "../crypto/envelope.js";
import { keyProviderFromConfig } from "../crypto/key-provider-from-config.js";
import { bootstrap } from "../iam/bootstrap.js";
import { arnSuffix } from "../secrets/ops/create-secret.js";
import type { SecretRecord } from "../secrets/records.js";
import { SqliteStore } from "../storage/sqlite/sqlite-store.js";
import { sqlitePath } from "../storage/store-from-config.js";
import type { Change } from "../storage/store.js";
import { spawnServer, TEST_ACCOUNT, TEST_KEY_ID, TEST_SECRET, tempDir } from "../testing/harness.js";
import { rawRequest, runLoad, type LoadResult } from "./load-generator.js";

export interface ScaleFigures {
  secrets: number;
  versions: number;
  seedSeconds: number;
  startupMs: number;
  rssMbIdle: number;
  rssMbAfterReads: number;
  dbMb: number;
  listFirstPage: LoadResult;
  listDeepPage: LoadResult;
  listFiltered: LoadResult;
  get1: LoadResult;
  get50: LoadResult;
}

const creds = { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET };

function signed(port: number, target: string, body: string): Buffer {
  const headers = signRequest(
    { method: "POST", host: `127.0.0.1:${port}`, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${target}` }, body, region: "us-east-1", service: "secretsmanager" },
    creds,
  );
  return rawRequest("/", headers, body);
}

async function call(port: number, target: string, body: unknown): Promise<Record<string, unknown>> {
  const text = JSON.stringify(body);
  const headers = signRequest(
    { method: "POST", host: `127.0.0.1:${port}`, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${target}` }, body: text, region: "us-east-1", service: "secretsmanager" },
    creds,
  );
  delete headers.host;
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers, body: text });
  const out = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${target}: ${JSON.stringify(out)}`);
  return out;
}

/**
 * Writes `secrets` secrets with `versionsPer` versions each (1 KB values, each sealed with its own
 * data key, AWSCURRENT/AWSPREVIOUS on the last two) straight through the store in large
 * transactions: the fastest honest way to a store of this size.
 */
async function seed(dataDir: string, secrets: number, versionsPer: number): Promise<void> {
  const config = loadConfig({ env: { KEYSHIFT_LOG_LEVEL: "silent" }, flags: { dataDir } });
  const { provider } = keyProviderFromConfig(config, true);
  const store = new SqliteStore({ path: sqlitePath(config), synchronous: "normal" });
  const envelope = new Envelope(provider);
  await bootstrap(store, envelope, { dataDir, accountId: TEST_ACCOUNT, ...creds, now: Date.now() });
  const value = Buffer.alloc(1024, "v");
  const t0 = Date.now() - versionsPer * 86_400_000;
  let batch: Change[] = [];
  for (let i = 0; i < secrets; i++) {
    const name = `scale/team-${i % 100}/svc-${String(i).padStart(6, "0")}`;
    const s: SecretRecord = {
      uid: randomUUID(), accountId: TEST_ACCOUNT, region: "us-east-1", name, arn: secretArn("us-east-1", TEST_ACCOUNT, name, arnSuffix()),
      createdAt: t0, lastChangedAt: t0, revision: 1, description: `service ${i} of team ${i % 100}`, tags: [{ Key: "team", Value: `team-${i % 100}` }],
    };
    batch.push({ op: "insertSecret", secret: s });
    for (let v = 0; v < versionsPer; v++) {
      const versionId = randomUUID();
      const sealed = await envelope.seal(value, bindings.secretValue.purpose, bindings.secretValue.bind(s.accountId, s.uid, versionId));
      batch.push({ op: "insertVersion", secretUid: s.uid, versionId, createdAt: t0 + v * 86_400_000, kind: "string", sealed });
      if (v === versionsPer - 2) batch.push({ op: "setStage", secretUid: s.uid, stage: "AWSPREVIOUS", versionId });
      if (v === versionsPer - 1) batch.push({ op: "setStage", secretUid: s.uid, stage: "AWSCURRENT", versionId });
    }
    if (batch.length > 20_000) {
      await store.commit(batch);
      batch = [];
    }
  }
  if (batch.length) await store.commit(batch);
  await store.close();
}

/**
 * Cost against size: a store of `secrets` secrets and `secrets * versionsPer` versions; server
 * start-up time and resident memory, ListSecrets page latency (first page, a deep page through
 * NextToken, a filtered page) and GetSecretValue latency, each with one connection (latency)
 * and GetSecretValue with 50 (throughput).
 */
export async function scalePhase(o: { secrets: number; versionsPer: number; seconds: number }): Promise<ScaleFigures> {
  const dataDir = tempDir("keyshift-scale-");
  try {
    const s0 = Date.now();
    await seed(dataDir, o.secrets, o.versionsPer);
    const seedSeconds = (Date.now() - s0) / 1000;
    writeFileSync(join(dataDir, "bench.toml"), `[rotation]\nschedulerIntervalSeconds = 3600\n`);
    const t0 = performance.now();
    const srv = await spawnServer(dataDir, 0, { KEYSHIFT_CONFIG: join(dataDir, "bench.toml"), KEYSHIFT_LOG_LEVEL: "warn" });
    const startupMs = performance.now() - t0;
    try {
      const port = Number(new URL(srv.endpoint).port);
      const rss = () => {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(procStatus(srv.child.pid ?? 0))?.[1] ?? 0);
        return kb / 1024;
      };
      const rssMbIdle = rss();
      // A deep page: follow NextToken halfway through the account.
      let token: string | undefined;
      for (let i = 0; i < Math.min(20, Math.floor(o.secrets / 200)); i++) token = (await call(port, "ListSecrets", { MaxResults: 100, ...(token ? { NextToken: token } : {}) })).NextToken as string | undefined;
      const run = (reqs: Buffer[], connections: number) => runLoad({ host: "127.0.0.1", port, requests: reqs, connections, durationMs: o.seconds * 1000, warmupMs: 500 });
      const listFirstPage = await run([signed(port, "ListSecrets", JSON.stringify({ MaxResults: 100 }))], 1);
      const listDeepPage = await run([signed(port, "ListSecrets", JSON.stringify({ MaxResults: 100, ...(token ? { NextToken: token } : {}) }))], 1);
      const listFiltered = await run([signed(port, "ListSecrets", JSON.stringify({ MaxResults: 100, Filters: [{ Key: "tag-value", Values: ["team-42"] }] }))], 1);
      const gets: Buffer[] = [];
      for (let i = 0; i < 2000; i++) {
        const n = (i * 7919) % o.secrets;
        gets.push(signed(port, "GetSecretValue", JSON.stringify({ SecretId: `scale/team-${n % 100}/svc-${String(n).padStart(6, "0")}` })));
      }
      const get1 = await run(gets, 1);
      const get50 = await run(gets, 50);
      const rssMbAfterReads = rss();
      const dbMb = statSize(join(dataDir, "keyshift.db")) / 1024 / 1024;
      return { secrets: o.secrets, versions: o.secrets * o.versionsPer, seedSeconds, startupMs, rssMbIdle, rssMbAfterReads, dbMb, listFirstPage, listDeepPage, listFiltered, get1, get50 };
    } finally {
      await srv.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function procStatus(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return "";
  }
}
function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function scaleLines(r: ScaleFigures): string[] {
  const lat = (x: LoadResult) => `p50 ${x.p50.toFixed(2)} ms   p99 ${x.p99.toFixed(2)} ms   (${x.rps.toFixed(0)} req/s)${x.non2xx || x.errors ? `   non-2xx ${x.non2xx} errors ${x.errors}` : ""}`;
  return [
    `Scale: ${r.secrets.toLocaleString("en")} secrets, ${r.versions.toLocaleString("en")} versions (seeded in ${r.seedSeconds.toFixed(0)} s; database ${r.dbMb.toFixed(0)} MB)`,
    `  server start-up to listening     ${r.startupMs.toFixed(0)} ms`,
    `  resident memory                  ${r.rssMbIdle.toFixed(0)} MB idle, ${r.rssMbAfterReads.toFixed(0)} MB after the reads`,
    `  ListSecrets first page (100)     ${lat(r.listFirstPage)}`,
    `  ListSecrets deep page (100)      ${lat(r.listDeepPage)}`,
    `  ListSecrets tag filter (100)     ${lat(r.listFiltered)}`,
    `  GetSecretValue, 1 connection     ${lat(r.get1)}`,
    `  GetSecretValue, 50 connections   ${lat(r.get50)}`,
  ];
}
