import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signRequest } from "@keyshift/protocol";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET, spawnServer, tempDir, type ServerProcess } from "../testing/harness.js";
import { createTestDatabase } from "../storage/postgres/test-database.js";
import { rawRequest, runLoad, type LoadResult } from "./load-generator.js";

export interface PostgresPhaseOptions {
  /** Secrets created on each store before measuring. Default 200. */
  secrets?: number;
  /** Concurrent keep-alive connections of the load generator. Default 32. */
  connections?: number;
  /** Seconds per measurement (after a 1 s warm-up). Default 5. */
  seconds?: number;
  /** PostgreSQL connections per server. Default 10. */
  poolSize?: number;
}

export interface StoreFigures {
  get: LoadResult;
  put: LoadResult;
}

export interface PostgresPhaseResult {
  sqlite: StoreFigures;
  postgres: StoreFigures;
  secrets: number;
  connections: number;
}

const target = (op: string) => ({ "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${op}` });

function signed(port: number, op: string, body: object): Buffer {
  const text = JSON.stringify(body);
  const headers = signRequest(
    { method: "POST", host: `127.0.0.1:${port}`, path: "/", headers: target(op), body: text, region: TEST_REGION, service: "secretsmanager" },
    { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET },
  );
  return rawRequest("/", headers, text);
}

async function call(endpoint: string, op: string, body: object): Promise<void> {
  const url = new URL(endpoint);
  const text = JSON.stringify(body);
  const headers = signRequest({ method: "POST", host: url.host, path: "/", headers: target(op), body: text, region: TEST_REGION, service: "secretsmanager" }, { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET });
  delete headers.host;
  const res = await fetch(new URL("/", url), { method: "POST", headers, body: text });
  if (res.status !== 200) throw new Error(`${op} failed: HTTP ${res.status} ${await res.text()}`);
}

async function measure(server: ServerProcess, o: Required<PostgresPhaseOptions>): Promise<StoreFigures> {
  const port = Number(new URL(server.endpoint).port);
  const name = (i: number) => `bench/pg-phase/${String(i).padStart(6, "0")}`;
  for (let i = 0; i < o.secrets; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, o.secrets - i) }, (_, k) => call(server.endpoint, "CreateSecret", { Name: name(i + k), ClientRequestToken: randomUUID(), SecretString: `value-${i + k}-${"x".repeat(64)}` })));
  }
  const spread = (i: number) => name(Math.floor((i * 7919) % o.secrets));
  const gets = Array.from({ length: 1000 }, (_, i) => signed(port, "GetSecretValue", { SecretId: spread(i) }));
  // Every put is a new version (a token seen before would be an idempotent replay): more requests than the run can send.
  const puts = Array.from({ length: 30_000 }, (_, i) => signed(port, "PutSecretValue", { SecretId: spread(i), ClientRequestToken: randomUUID(), SecretString: `put-${i}-${"y".repeat(64)}` }));
  const run = (requests: Buffer[]) => runLoad({ host: "127.0.0.1", port, requests, connections: o.connections, durationMs: o.seconds * 1000, warmupMs: 1000 });
  const get = await run(gets);
  const put = await run(puts);
  for (const [what, r] of [["GetSecretValue", get], ["PutSecretValue", put]] as const) {
    if (r.errors || r.non2xx) throw new Error(`postgres phase: ${what} had ${r.errors} errors and ${r.non2xx} non-2xx answers`);
  }
  return { get, put };
}

/**
 * GetSecretValue and PutSecretValue on the embedded SQLite store and on PostgreSQL (a fresh
 * database on the machine's server, dropped afterwards), one `keyshift server` process each with
 * the same configuration, measured one after the other in the same run with the same load
 * generator. Reads are served from each node's cache; writes are a full transaction (fsync on
 * SQLite, a commit on PostgreSQL) each. The lead's bench/main.ts prints `postgresPhaseLines`.
 */
export async function postgresPhase(opts: PostgresPhaseOptions = {}): Promise<PostgresPhaseResult> {
  const o: Required<PostgresPhaseOptions> = { secrets: opts.secrets ?? 200, connections: opts.connections ?? 32, seconds: opts.seconds ?? 5, poolSize: opts.poolSize ?? 10 };
  const db = await createTestDatabase("keyshift_bench");
  const dirs = [tempDir("keyshift-bench-sqlite-"), tempDir("keyshift-bench-pg-")];
  const quiet = `[rotation]\nschedulerIntervalSeconds = 3600\n`;
  writeFileSync(join(dirs[0]!, "bench.toml"), quiet);
  writeFileSync(join(dirs[1]!, "bench.toml"), `${quiet}[store]\nurl = "${db.url}"\npoolSize = ${o.poolSize}\n`);
  const servers: ServerProcess[] = [];
  try {
    servers.push(await spawnServer(join(dirs[0]!, "data"), 0, { KEYSHIFT_CONFIG: join(dirs[0]!, "bench.toml") }));
    servers.push(await spawnServer(join(dirs[1]!, "data"), 0, { KEYSHIFT_CONFIG: join(dirs[1]!, "bench.toml") }));
    const sqlite = await measure(servers[0]!, o);
    const postgres = await measure(servers[1]!, o);
    return { sqlite, postgres, secrets: o.secrets, connections: o.connections };
  } finally {
    for (const s of servers) await s.stop();
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The lines bench/main.ts prints for the phase. */
export function postgresPhaseLines(r: PostgresPhaseResult): string[] {
  const row = (label: string, x: LoadResult) => `  ${label.padEnd(24)} ${x.rps.toFixed(0).padStart(7)} req/s   p50 ${x.p50.toFixed(2)} ms   p99 ${x.p99.toFixed(2)} ms`;
  return [
    `Stores side by side (${r.secrets} secrets, ${r.connections} connections, one server process each)`,
    row("GetSecretValue sqlite", r.sqlite.get),
    row("GetSecretValue postgres", r.postgres.get),
    row("PutSecretValue sqlite", r.sqlite.put),
    row("PutSecretValue postgres", r.postgres.put),
  ];
}
