import { copyFileSync, readdirSync, statSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { signRequest } from "@keyshift/protocol";
import { tempDir } from "../testing/harness.js";
import { rawRequest, runLoad, type LoadResult } from "./load-generator.js";
import { startBenchServer, stopChild } from "./processes.js";

export interface AuditPhaseOptions {
  /** A seeded data dir (it may be in use by a running server: the database is copied with SQLite's online backup). */
  dataDir: string;
  /** Secrets named `${prefix}${000000..count-1}` exist in it. */
  prefix: string;
  count: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region?: string;
  connections?: number;
  seconds: number;
  rounds: number;
}

export interface AuditPhaseResult {
  offRps: number;
  onRps: number;
  offP99: number;
  onP99: number;
  /** Per round, audit off then on. */
  rounds: { off: LoadResult; on: LoadResult }[];
  /** The audit-on server's group commits (its /metrics): how many, their total time, the calls they recorded. */
  writes: { count: number; seconds: number; records: number };
}

/** A copy of a data dir: its files (keys, credentials) and an online backup of its database. No audit files: the copy starts a fresh chain. */
async function copyDataDir(from: string): Promise<string> {
  const to = tempDir("keyshift-bench-audit-");
  for (const f of readdirSync(from)) {
    if (f.startsWith("keyshift.db") || f.startsWith("audit") || f.endsWith(".toml")) continue;
    if (!statSync(join(from, f)).isFile()) continue;
    copyFileSync(join(from, f), join(to, f));
  }
  const db = new Database(join(from, "keyshift.db"), { readonly: true });
  try {
    await db.backup(join(to, "keyshift.db"));
  } finally {
    db.close();
  }
  return to;
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * GetSecretValue with the audit trail on (fail-closed, store sink, durable: every answer waits
 * for its record's fsync, shared by the calls of the moment) against audit off, on two servers
 * over copies of the same seeded data, alternating rounds so that the drift of a shared
 * machine hits both alike. The lead's bench/main.ts prints it (target: on >= 85% of off).
 */
export async function auditPhase(o: AuditPhaseOptions): Promise<AuditPhaseResult> {
  const offDir = await copyDataDir(o.dataDir);
  const onDir = await copyDataDir(o.dataDir);
  const quiet = `[rotation]\nschedulerIntervalSeconds = 3600\n`;
  writeFileSync(join(offDir, "bench.toml"), `${quiet}[audit]\nenabled = false\n`);
  // BENCH_AUDIT_ON_CONFIG: TOML replacing the audit-on server's [audit] section (experiments: the phase is about the defaults).
  writeFileSync(join(onDir, "bench.toml"), `${quiet}${process.env.BENCH_AUDIT_ON_CONFIG ?? `[audit]\nenabled = true\nmode = "fail-closed"\nstore = true\n`}`);
  const off = await startBenchServer(offDir, join(offDir, "bench.toml"));
  const on = await startBenchServer(onDir, join(onDir, "bench.toml"));
  try {
    const requests = (port: number) => {
      const out: Buffer[] = [];
      for (let i = 0; i < 1000; i++) {
        const n = String(Math.floor((i * 7919) % o.count)).padStart(6, "0");
        const body = JSON.stringify({ SecretId: `${o.prefix}${n}` });
        const headers = signRequest(
          { method: "POST", host: `127.0.0.1:${port}`, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" }, body, region: o.region ?? "us-east-1", service: "secretsmanager" },
          o.credentials,
        );
        out.push(rawRequest("/", headers, body));
      }
      return out;
    };
    const offReq = requests(off.port);
    const onReq = requests(on.port);
    const run = (port: number, reqs: Buffer[]) => runLoad({ host: "127.0.0.1", port, requests: reqs, connections: o.connections ?? 50, durationMs: o.seconds * 1000, warmupMs: 1500 });
    const rounds: AuditPhaseResult["rounds"] = [];
    for (let r = 0; r < o.rounds; r++) {
      const a = await run(off.port, offReq);
      const b = await run(on.port, onReq);
      if (a.non2xx || a.errors || b.non2xx || b.errors) throw new Error(`audit phase: failed requests (off ${a.non2xx}/${a.errors}, on ${b.non2xx}/${b.errors})`);
      rounds.push({ off: a, on: b });
    }
    // The on-server's audit writes: batches and their latency (send to durable), from its /metrics.
    const m = await (await fetch(`http://127.0.0.1:${on.port}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(m)?.[1] ?? NaN);
    const calls = [...m.matchAll(/^keyshift_requests_total\{[^}]*\} (\S+)$/gm)].reduce((n, x) => n + Number(x[1]), 0);
    const writes = { count: metric("keyshift_audit_write_duration_seconds_count"), seconds: metric("keyshift_audit_write_duration_seconds_sum"), records: calls };
    return {
      offRps: avg(rounds.map((r) => r.off.rps)),
      onRps: avg(rounds.map((r) => r.on.rps)),
      offP99: avg(rounds.map((r) => r.off.p99)),
      onP99: avg(rounds.map((r) => r.on.p99)),
      rounds,
      writes,
    };
  } finally {
    await stopChild(off.child);
    await stopChild(on.child);
    rmSync(offDir, { recursive: true, force: true });
    rmSync(onDir, { recursive: true, force: true });
  }
}

/** The lines bench/main.ts prints for the phase. */
export function auditPhaseLines(r: AuditPhaseResult, connections = 50): string[] {
  const ratio = r.onRps / r.offRps;
  return [
    `GetSecretValue with the audit trail on (fail-closed, store sink, fsync per group commit) vs off, ${connections} connections, alternating rounds`,
    `  audit off  ${r.offRps.toFixed(0).padStart(7)} req/s   p99 ${r.offP99.toFixed(3)} ms`,
    `  audit on   ${r.onRps.toFixed(0).padStart(7)} req/s   p99 ${r.onP99.toFixed(3)} ms`,
    `  group commits: ${r.writes.count} for ${r.writes.records} records (${(r.writes.records / r.writes.count).toFixed(1)} per commit), ${((r.writes.seconds / r.writes.count) * 1000).toFixed(2)} ms each on average`,
    `  ratio      ${(ratio * 100).toFixed(1)}%   target >= 85%   ${ratio >= 0.85 ? "PASS" : "MISS"}   (rounds: ${r.rounds.map((x) => ((x.on.rps / x.off.rps) * 100).toFixed(1) + "%").join(", ")})`,
  ];
}
