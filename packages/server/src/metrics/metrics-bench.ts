/**
 * What metrics cost on the hot path: GetSecretValue throughput of two servers on the same data,
 * one with `metrics.enabled = true` (and a scrape every second, as Prometheus would, faster),
 * one with it off, measured in alternating rounds in the same run.
 * `node packages/server/dist/metrics/metrics-bench.js` (BENCH_SECONDS, BENCH_ROUNDS, BENCH_SECRETS).
 */
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signRequest } from "@keyshift/protocol";
import { loadConfig } from "../config/load.js";
import { rawRequest, runLoad, type LoadResult } from "../bench/load-generator.js";
import { seedSecrets } from "../bench/seed.js";
import { startBenchServer, stopChild } from "../bench/processes.js";
import { Metrics } from "./metrics.js";
import type { CallRecord } from "../http/call-record.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_SECRET, tempDir } from "../testing/harness.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 2000);
const creds = { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET };

function reads(port: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    const body = JSON.stringify({ SecretId: `mb/app-${String((i * 7919) % SECRETS).padStart(6, "0")}` });
    const headers = signRequest({ method: "POST", host: `127.0.0.1:${port}`, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" }, body, region: "us-east-1", service: "secretsmanager" }, creds);
    out.push(rawRequest("/", headers, body));
  }
  return out;
}

const mean = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;

/** The observer alone, in process: ns per call of a successful GetSecretValue record. */
function observerCost(): number {
  const m = new Metrics({ perSecretLabels: false, processMetrics: false });
  const c: CallRecord = { requestId: "r", time: 0, api: "secretsmanager", operation: "GetSecretValue", sourceIp: "127.0.0.1", userAgent: "", status: 200, durationMs: 0.4, secretName: "x" };
  for (let i = 0; i < 100_000; i++) m.observeCall(c);
  const n = 2_000_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) m.observeCall(c);
  return Number(process.hrtime.bigint() - t) / n;
}

async function main(): Promise<void> {
  console.log(`Metrics observer: ${observerCost().toFixed(0)} ns per call (in process)`);
  const dataDir = tempDir("keyshift-metrics-bench-");
  const config = loadConfig({ env: { KEYSHIFT_LOG_LEVEL: "silent" }, flags: { dataDir } });
  await seedSecrets(config, { count: SECRETS, valueBytes: 1024, prefix: "mb/app-", accountId: TEST_ACCOUNT, ...creds });
  writeFileSync(join(dataDir, "on.toml"), "[metrics]\nenabled = true\n");
  writeFileSync(join(dataDir, "off.toml"), "[metrics]\nenabled = false\n");
  // Each server on its own copy: one's writes (access times) must not drop the other's cache.
  const offDir = `${dataDir}-off`;
  cpSync(dataDir, offDir, { recursive: true });
  const on = await startBenchServer(dataDir, join(dataDir, "on.toml"));
  const off = await startBenchServer(offDir, join(offDir, "off.toml"));
  const scraper = setInterval(() => void fetch(`http://127.0.0.1:${on.port}/metrics`).then((r) => r.text()), 1000);
  const runs: { on: LoadResult[]; off: LoadResult[] } = { on: [], off: [] };
  const load = (port: number) => runLoad({ host: "127.0.0.1", port, requests: reads(port), connections: 50, durationMs: SECONDS * 1000, warmupMs: 1500 });
  // Alternating rounds, the first server swapped each round: drift and order effects cancel out.
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      runs.off.push(await load(off.port));
      runs.on.push(await load(on.port));
    } else {
      runs.on.push(await load(on.port));
      runs.off.push(await load(off.port));
    }
  }
  clearInterval(scraper);
  const rps = { on: mean(runs.on, (x) => x.rps), off: mean(runs.off, (x) => x.rps) };
  console.log(`GetSecretValue, 50 connections, ${ROUNDS} alternating rounds of ${SECONDS} s, ${SECRETS} secrets`);
  console.log(`  metrics off  ${rps.off.toFixed(0).padStart(7)} req/s   p99 ${mean(runs.off, (x) => x.p99).toFixed(3)} ms`);
  console.log(`  metrics on   ${rps.on.toFixed(0).padStart(7)} req/s   p99 ${mean(runs.on, (x) => x.p99).toFixed(3)} ms   (scraped every second)`);
  console.log(`  ratio        ${((rps.on / rps.off) * 100).toFixed(1)}%   (rounds: ${runs.on.map((x, i) => ((x.rps / runs.off[i]!.rps) * 100).toFixed(1) + "%").join(", ")})`);
  for (const s of [on, off]) await stopChild(s.child);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(offDir, { recursive: true, force: true });
}

await main();
