import { randomUUID } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signRequest } from "@keyshift/protocol";
import { callApi } from "../cli/api-client.js";
import { loadConfig } from "../config/load.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_SECRET, tempDir } from "../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres } from "../testing/private-postgres.js";
import { loadGenerator, rawRequest, runLoad, type LoadResult } from "./load-generator.js";
import { seedSecrets } from "./seed.js";
import { rotationPhase } from "./rotation-phase.js";
import { agentPhase } from "./agent-phase.js";
import { sdkPhase } from "./sdk-phase.js";
import { postgresPhase, postgresPhaseLines } from "./postgres-phase.js";
import { scaleLines, scalePhase } from "./scale-phase.js";
import { auditPhase, auditPhaseLines } from "./audit-phase.js";
import { startBenchServer, startChild, stopChild } from "./processes.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const VALUE_BYTES = 1024;
const RANDOM_ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 1000);
const PG_ROTATIONS = Number(process.env.BENCH_PG_ROTATIONS ?? 50);
const lambda = (name: string) => `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:${name}`;
const creds = { accessKeyId: TEST_KEY_ID, secretAccessKey: TEST_SECRET };

function signed(port: number, target: string, body: string, as: { accessKeyId: string; secretAccessKey: string } = creds): Buffer {
  const host = `127.0.0.1:${port}`;
  const headers = signRequest(
    { method: "POST", host, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${target}` }, body, region: "us-east-1", service: "secretsmanager" },
    as,
  );
  return rawRequest("/", headers, body);
}

/** Mean of several runs (percentiles averaged: a summary across rounds, not a merged histogram). */
function mean(rs: LoadResult[]): LoadResult {
  const avg = (f: (r: LoadResult) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  return { requests: avg((r) => r.requests), rps: avg((r) => r.rps), p50: avg((r) => r.p50), p90: avg((r) => r.p90), p99: avg((r) => r.p99), non2xx: avg((r) => r.non2xx), errors: avg((r) => r.errors) };
}

const fmt = (r: LoadResult) => `${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(3)} ms   p99 ${r.p99.toFixed(3)} ms${r.non2xx || r.errors ? `   non-2xx ${r.non2xx} errors ${r.errors}` : ""}`;

async function main(): Promise<void> {
  const dataDir = tempDir("keyshift-bench-");
  const config = loadConfig({ env: { KEYSHIFT_LOG_LEVEL: "silent" }, flags: { dataDir } });
  const t0 = Date.now();
  const pgRoles = await createBenchRoles(PG_ROTATIONS);
  const never = Date.now() + 3650 * 86_400_000;
  await seedSecrets(config, {
    count: SECRETS, valueBytes: VALUE_BYTES, prefix: "bench/app-", accountId: TEST_ACCOUNT, ...creds,
    rotating: [
      { prefix: "bench/rot-", count: RANDOM_ROTATIONS, lambdaArn: lambda("keyshift-random-password"), value: (i) => `token-${i}`, due: never },
      { prefix: "bench/quiet-rot-", count: RANDOM_ROTATIONS, lambdaArn: lambda("keyshift-random-password"), value: (i) => `token-${i}`, due: never },
      ...(pgRoles ? [{ prefix: "bench/pgrot-", count: PG_ROTATIONS, lambdaArn: lambda("keyshift-postgres-single-user"), value: (i: number) => JSON.stringify({ engine: "postgres", host: pgRoles.host, port: pgRoles.port, username: pgRoles.names[i], password: "initial-password", dbname: "postgres" }), due: never }] : []),
    ],
  });
  console.log(`load generator: ${loadGenerator() === "wrk" ? "wrk (BENCH_LOADGEN=node for the built-in one)" : "built-in (Node.js; install wrk for a lighter one)"}`);
  console.log(`seeded ${SECRETS} secrets of ${VALUE_BYTES} B and ${2 * RANDOM_ROTATIONS + (pgRoles ? PG_ROTATIONS : 0)} with rotation in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const serverConfig = join(dataDir, "bench.toml");
  // The serving phases measure the API itself; the audit phase below measures audit on against off.
  writeFileSync(serverConfig, `[rotation]\nschedulerIntervalSeconds = 0.25\n[audit]\nenabled = false\n`);
  const ks = await startBenchServer(dataDir, serverConfig);
  const reads: Buffer[] = [];
  for (let i = 0; i < 1000; i++) {
    const n = String(Math.floor((i * 7919) % SECRETS)).padStart(6, "0");
    reads.push(signed(ks.port, "GetSecretValue", JSON.stringify({ SecretId: `bench/app-${n}` })));
  }
  const probe = await fetch(`http://127.0.0.1:${ks.port}/`, { method: "POST", headers: Object.fromEntries(reads[0]!.toString("latin1").split("\r\n\r\n")[0]!.split("\r\n").slice(1).map((l) => l.split(": ") as [string, string]).filter(([k]) => k !== "content-length" && k !== "connection")), body: reads[0]!.toString("latin1").split("\r\n\r\n")[1] });
  const responseBytes = (await probe.arrayBuffer()).byteLength;
  if (probe.status !== 200) throw new Error(`probe failed: ${probe.status}`);
  const bare = await startChild([new URL("./bare-server.js", import.meta.url).pathname, "0", String(responseBytes)], /ready (\d+)/);
  // The bare server gets the very same signed requests (it ignores them): both sides parse the same bytes.
  const bareReq = reads;

  const run = (port: number, requests: Buffer[], connections: number, seconds = SECONDS, generator?: "node") =>
    runLoad({ host: "127.0.0.1", port, requests, connections, durationMs: seconds * 1000, warmupMs: 1500, ...(generator ? { generator } : {}) });

  if (process.env.BENCH_SKIP_RW !== "1" && !["clients", "scale", "stores", "audit"].includes(process.env.BENCH_ONLY ?? "")) {
    console.log(`\nGetSecretValue, ${responseBytes}-byte response, SigV4-signed, ${SECRETS} secrets stored; bare and keyshift alternate, ${ROUNDS} rounds of ${SECONDS} s each`);
    if (process.env.BENCH_ONLY === "policy") {
      await policyPhase(ks.port, reads, run);
      await stopChild(bare.child);
      await stopChild(ks.child);
      return;
    }
    if (process.env.BENCH_ONLY === "ks50") {
      console.log(`  50 connections  keyshift ${fmt(await run(ks.port, reads, 50))}`);
      await stopChild(bare.child);
      await stopChild(ks.child);
      return;
    }
    // Alternating rounds cancel the drift of a shared machine between the two measurements.
    const rounds: Record<string, LoadResult[]> = { bare50: [], ks50: [], bare1: [], ks1: [] };
    for (let r = 0; r < ROUNDS; r++) {
      rounds.bare50!.push(await run(bare.port, bareReq, 50));
      rounds.ks50!.push(await run(ks.port, reads, 50));
    }
    for (let r = 0; r < ROUNDS; r++) {
      rounds.bare1!.push(await run(bare.port, bareReq, 1));
      rounds.ks1!.push(await run(ks.port, reads, 1));
    }
    const [bare50, ks50, bare1, ks1] = (["bare50", "ks50", "bare1", "ks1"] as const).map((k) => mean(rounds[k]!));
    console.log(`  50 connections  bare     ${fmt(bare50!)}`);
    console.log(`  50 connections  keyshift ${fmt(ks50!)}`);
    console.log(`   1 connection   bare     ${fmt(bare1!)}`);
    console.log(`   1 connection   keyshift ${fmt(ks1!)}`);
    const thr = ks50!.rps / bare50!.rps;
    const p99x = ks50!.p99 / bare50!.p99;
    const d50 = ks1!.p50 - bare1!.p50;
    console.log(`\n  throughput ratio (50 conns)   ${(thr * 100).toFixed(1)}%   target >= 35%   ${thr >= 0.35 ? "PASS" : "MISS"}   (rounds: ${rounds.ks50!.map((k, i) => ((k.rps / rounds.bare50![i]!.rps) * 100).toFixed(1) + "%").join(", ")})`);
    console.log(`  p99 ratio (50 conns)          ${p99x.toFixed(2)}x    target <= 4x    ${p99x <= 4 ? "PASS" : "MISS"}`);
    console.log(`  p50 difference (1 conn)       ${d50.toFixed(3)} ms  target <= 0.2 ms ${d50 <= 0.2 ? "PASS" : "MISS"}`);

    await policyPhase(ks.port, reads, run);

    const writes: Buffer[] = [];
    for (let i = 0; i < 40_000; i++) {
      const n = String(i % SECRETS).padStart(6, "0");
      writes.push(signed(ks.port, "PutSecretValue", JSON.stringify({ SecretId: `bench/app-${n}`, SecretString: "w".repeat(VALUE_BYTES), ClientRequestToken: randomUUID() })));
    }
    const w16 = await runLoad({ host: "127.0.0.1", port: ks.port, requests: writes, connections: 16, durationMs: 5000, warmupMs: 500 });
    console.log(`\nPutSecretValue (1 KB, fsync per commit), 16 connections: ${fmt(w16)}`);
  }

  if (process.env.BENCH_SKIP_CLIENTS !== "1" && (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === "clients")) await clientPhases(ks.port);

  if (process.env.BENCH_SKIP_AUDIT !== "1" && (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === "audit")) {
    const a = await auditPhase({ dataDir, prefix: "bench/app-", count: SECRETS, credentials: creds, seconds: SECONDS, rounds: ROUNDS, ...(process.env.BENCH_AUDIT_CONNECTIONS ? { connections: Number(process.env.BENCH_AUDIT_CONNECTIONS) } : {}) });
    console.log("\n" + auditPhaseLines(a).join("\n"));
  }

  if (process.env.BENCH_SKIP_STORES !== "1" && (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === "stores")) {
    console.log("\n" + postgresPhaseLines(await postgresPhase({ seconds: SECONDS })).join("\n"));
  }

  if (process.env.BENCH_SKIP_SCALE !== "1" && (!process.env.BENCH_ONLY || process.env.BENCH_ONLY === "scale")) {
    // Cost against size: the same measurements on a small store and on a large one.
    const sizes = (process.env.BENCH_SCALE ?? "10000x1,100000x10").split(",").map((x) => x.split("x").map(Number) as [number, number]);
    for (const [secrets, versionsPer] of sizes) console.log("\n" + scaleLines(await scalePhase({ secrets, versionsPer, seconds: Math.min(SECONDS, 3) })).join("\n"));
  }

  if (process.env.BENCH_SKIP_ROTATION !== "1" && !process.env.BENCH_ONLY) {
    console.log(`\nRotations through the scheduler (at most 8 at once, fewer while serving is busy) while GetSecretValue runs at 50 connections`);
    const batches = [
      { label: `${RANDOM_ROTATIONS} keyshift-random-password`, prefix: "bench/rot-", count: RANDOM_ROTATIONS },
      ...(pgRoles && PG_ROTATIONS > 0 ? [{ label: `${PG_ROTATIONS} keyshift-postgres-single-user`, prefix: "bench/pgrot-", count: PG_ROTATIONS }] : []),
    ].filter((b) => b.count > 0);
    if (!pgRoles) console.log("  (no PostgreSQL server binaries: the keyshift-postgres-single-user batch is skipped)");
    const quiet = await rotationPhase(join(dataDir, "keyshift.db"), ks.port, undefined, { label: `${RANDOM_ROTATIONS} keyshift-random-password`, prefix: "bench/quiet-rot-", count: RANDOM_ROTATIONS }, 300);
    console.log(`  no read load: ${quiet.label.padEnd(24)} ${quiet.succeeded} succeeded, ${quiet.failed} failed; ${quiet.rate.toFixed(1)} rotations/s; rotation time p50 ${quiet.p50Ms.toFixed(0)} ms, p99 ${quiet.p99Ms.toFixed(0)} ms`);
    for (const b of batches) {
      // Idle measured right before and right after the batch: their mean is the baseline. The reads during the batch
      // end when it does, which only the built-in generator can do: the baseline uses it too.
      const before = await run(ks.port, reads, 50, SECONDS, "node");
      const f = await rotationPhase(join(dataDir, "keyshift.db"), ks.port, reads, b, 300);
      const after = await run(ks.port, reads, 50, SECONDS, "node");
      const idle = mean([before, after]);
      const ratio = f.reads.rps / idle.rps;
      console.log(`  ${f.label.padEnd(38)} ${f.succeeded} succeeded, ${f.failed} failed; ${f.rate.toFixed(1)} rotations/s; rotation time p50 ${f.p50Ms.toFixed(0)} ms, p99 ${f.p99Ms.toFixed(0)} ms`);
      console.log(`    GetSecretValue idle (before/after)   ${fmt(idle)}`);
      console.log(`    GetSecretValue meanwhile             ${fmt(f.reads)}   ${(ratio * 100).toFixed(1)}% of idle   target >= 80%   ${ratio >= 0.8 ? "PASS" : "MISS"}`);
    }
  }

  await stopChild(bare.child);
  await stopChild(ks.child);
  await pgRoles?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Roles for the PostgreSQL rotation benchmark on a private server with SCRAM password
 * authentication (as production has it: every login and password change does the real work);
 * undefined when no PostgreSQL binaries are installed.
 */
/** The agent (cached GET /secretsmanager/get against a bare node:http server, same run) and the SDK's cached calls. */
async function clientPhases(port: number): Promise<void> {
  const endpoint = `http://127.0.0.1:${port}`;
  const a = await agentPhase({ endpoint, credentials: creds, region: "us-east-1", secretId: "bench/app-000001", seconds: SECONDS, rounds: Math.max(ROUNDS, 2) });
  const ratio = a.agentRps / a.bareRps;
  console.log(`
Agent: cached GET /secretsmanager/get (${a.responseBytes}-byte response) vs a bare node:http server with the same response, 50 connections, ${Math.max(ROUNDS, 2)} alternating rounds`);
  console.log(`  bare   ${a.bareRps.toFixed(0).padStart(7)} req/s   p99 ${a.bareP99Ms.toFixed(3)} ms   CPU ${a.bareCpuUsPerRequest.toFixed(1)} us/request`);
  console.log(`  agent  ${a.agentRps.toFixed(0).padStart(7)} req/s   p99 ${a.agentP99Ms.toFixed(3)} ms   CPU ${a.agentCpuUsPerRequest.toFixed(1)} us/request`);
  console.log(`  ratio  ${(ratio * 100).toFixed(1)}%   target >= 85%   ${ratio >= 0.85 ? "PASS" : "MISS"}`);
  const s = await sdkPhase({ endpoint, region: "us-east-1", credentials: creds, secretId: "bench/app-000002", seconds: Math.min(SECONDS, 3) });
  console.log(`
SDK: cached getSecretValue in-process`);
  console.log(`  baseline (await of an async Map.get)  ${(s.baselineCallsPerSec / 1e6).toFixed(2)} M calls/s`);
  console.log(`  KeyshiftClient.getSecretValue         ${(s.cachedCallsPerSec / 1e6).toFixed(2)} M calls/s   (${((s.cachedCallsPerSec / s.baselineCallsPerSec) * 100).toFixed(0)}% of baseline)`);
}

/**
 * A user whose inline policies hold 20 statements with conditions (the one that allows the bench
 * secrets comes last, after a conditional Deny that must be evaluated on every call) against the
 * administrator, alternating, same secrets, same run.
 */
async function policyPhase(port: number, adminReads: Buffer[], run: (port: number, requests: Buffer[], connections: number) => Promise<LoadResult>): Promise<void> {
  const flags = { endpointUrl: `http://127.0.0.1:${port}` };
  const env = { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey };
  await callApi(flags, "POST", "/v1/iam/accounts/self/users", { UserName: "bench-reader", Tags: { team: "bench", env: "prod" } }, env);
  const key = (await callApi(flags, "POST", "/v1/iam/accounts/self/users/bench-reader/access-keys", undefined, env)) as { AccessKeyId: string; SecretAccessKey: string };
  const arn = (path: string) => `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:${path}`;
  const statements: unknown[] = [];
  for (let i = 0; i < 17; i++) {
    statements.push({
      Sid: `Other${i}`,
      Effect: "Allow",
      Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      Resource: arn(`/prod/service-${i}/*`),
      Condition: { StringEquals: { "aws:PrincipalTag/team": `team-${i}` }, Bool: { "aws:SecureTransport": "true" } },
    });
  }
  statements.push({ Sid: "NoWrites", Effect: "Deny", Action: ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"], Resource: "*" });
  statements.push({ Sid: "OnlyFromHere", Effect: "Deny", Action: "*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8", "::1/128"] } } });
  statements.push({
    Sid: "ReadBench",
    Effect: "Allow",
    Action: "secretsmanager:GetSecretValue",
    Resource: arn("bench/app-*"),
    Condition: { StringEquals: { "aws:PrincipalTag/team": "bench", "aws:RequestedRegion": "us-east-1" }, StringEqualsIfExists: { "secretsmanager:VersionStage": "AWSCURRENT" } },
  });
  await callApi(flags, "PUT", "/v1/iam/accounts/self/users/bench-reader/policies/bench", { PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }, env);
  const userReads = adminReads.map((_, i) => {
    const n = String(Math.floor((i * 7919) % SECRETS)).padStart(6, "0");
    return signed(port, "GetSecretValue", JSON.stringify({ SecretId: `bench/app-${n}` }), { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
  });
  const probe = await runLoad({ host: "127.0.0.1", port, requests: userReads.slice(0, 10), connections: 1, durationMs: 300, warmupMs: 0 });
  if (probe.non2xx || probe.errors) throw new Error("the 20-statement user is refused: the bench policy is wrong");
  const admin: LoadResult[] = [];
  const user: LoadResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    admin.push(await run(port, adminReads, 50));
    user.push(await run(port, userReads, 50));
  }
  const a = mean(admin);
  const u = mean(user);
  const ratio = u.rps / a.rps;
  console.log(`
GetSecretValue as a user with 20 policy statements (conditions, a conditional Deny) vs the administrator, 50 connections`);
  console.log(`  administrator  ${fmt(a)}`);
  console.log(`  20 statements  ${fmt(u)}`);
  console.log(`  ratio          ${(ratio * 100).toFixed(1)}%   target >= 90%   ${ratio >= 0.9 ? "PASS" : "MISS"}   (rounds: ${user.map((x, i) => ((x.rps / admin[i]!.rps) * 100).toFixed(1) + "%").join(", ")})`);
}

async function createBenchRoles(n: number): Promise<{ names: string[]; host: string; port: number; drop(): Promise<void> } | undefined> {
  if (!canStartPrivatePostgres()) return undefined;
  const server = await startPrivatePostgres();
  const tag = randomUUID().slice(0, 8);
  const names = Array.from({ length: n }, (_, i) => `ksbench_${tag}_${i}`);
  for (const name of names) await server.createRole(name, "initial-password");
  return { names, host: server.host, port: server.port, drop: () => server.stop() };
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
