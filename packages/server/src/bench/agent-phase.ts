import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { parseAgentConfig, startAgent } from "@keyshift/agent";
import { signRequest, type SigningCredentials } from "@keyshift/protocol";
import { runLoad, type LoadOptions, type LoadResult } from "./load-generator.js";

export interface AgentPhaseOptions {
  /** The Keyshift server the agent caches from. */
  endpoint: string;
  credentials: SigningCredentials;
  region?: string;
  /** An existing secret to read; default: one is created with a `valueBytes` value. */
  secretId?: string;
  valueBytes?: number;
  connections?: number;
  seconds?: number;
  /** Bare and agent alternate this many times (the means are reported). */
  rounds?: number;
}

export interface AgentPhaseResult {
  agentRps: number;
  bareRps: number;
  agentP99Ms: number;
  bareP99Ms: number;
  responseBytes: number;
  /** Process CPU time (this thread and the load generator's) per request: steadier than req/s on a busy machine. */
  agentCpuUsPerRequest: number;
  bareCpuUsPerRequest: number;
}

const TOKEN = "bench-agent-ssrf-token";

/** Runs `runLoad` on a worker thread, so that the generator has its own event loop (and core) and the server under test has the main one. */
function loadOnWorker(o: Omit<LoadOptions, "until">): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { agentPhaseLoad: o } });
    w.once("message", (r: LoadResult) => resolve(r));
    w.once("error", reject);
    w.once("exit", (code) => code !== 0 && reject(new Error(`load worker exited ${code}`)));
  });
}

if (!isMainThread && (workerData as { agentPhaseLoad?: LoadOptions } | undefined)?.agentPhaseLoad) {
  const o = (workerData as { agentPhaseLoad: LoadOptions }).agentPhaseLoad;
  const r = await runLoad({ ...o, requests: o.requests.map((b) => Buffer.from(b)) });
  parentPort!.postMessage(r);
}

async function createSecret(o: AgentPhaseOptions, name: string, value: string): Promise<void> {
  const url = new URL(o.endpoint);
  const body = JSON.stringify({ Name: name, SecretString: value, ClientRequestToken: randomUUID() });
  const headers = signRequest(
    { method: "POST", host: url.host, path: "/", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.CreateSecret" }, body, region: o.region ?? "us-east-1", service: "secretsmanager" },
    o.credentials,
  );
  delete headers.host;
  const res = await fetch(new URL("/", url), { method: "POST", headers, body });
  if (res.status !== 200) throw new Error(`CreateSecret failed: HTTP ${res.status} ${await res.text()}`);
}

/**
 * The agent benchmark: starts the agent in this process against `endpoint`, warms one cached
 * secret, then measures cached `GET /secretsmanager/get?secretId=...` (keep-alive, token
 * header) against a bare node:http server in this process answering a fixed body of the same
 * size with the same headers, alternating the two `rounds` times with the same load generator
 * (on a worker thread). The agent's target is ≥ 85% of the bare server's throughput.
 */
export async function agentPhase(o: AgentPhaseOptions): Promise<AgentPhaseResult> {
  const seconds = o.seconds ?? 5;
  const connections = o.connections ?? 50;
  const rounds = o.rounds ?? 3;
  let secretId = o.secretId;
  if (!secretId) {
    secretId = `bench/agent-${Date.now().toString(36)}`;
    await createSecret(o, secretId, "a".repeat(o.valueBytes ?? 1024));
  }
  const agent = await startAgent({
    config: parseAgentConfig({ log_level: "NONE", ttl_seconds: 3600, validate_credentials: false }),
    env: { AWS_TOKEN: TOKEN, AWS_ACCESS_KEY_ID: o.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: o.credentials.secretAccessKey, ...(o.credentials.sessionToken ? { AWS_SESSION_TOKEN: o.credentials.sessionToken } : {}), AWS_REGION: o.region ?? "us-east-1" },
    endpointUrl: o.endpoint,
    port: 0,
  });
  let bare: Server | undefined;
  try {
    const path = `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`;
    const warm = await fetch(`http://127.0.0.1:${agent.port}${path}`, { headers: { "X-Aws-Parameters-Secrets-Token": TOKEN } });
    const body = Buffer.from(await warm.arrayBuffer());
    if (warm.status !== 200) throw new Error(`warming the agent failed: HTTP ${warm.status} ${body.toString()}`);
    const fixed = Buffer.alloc(body.length, "x");
    bare = createServer((_req, res) => {
      res.writeHead(200, ["Content-Length", String(fixed.length)]);
      res.end(fixed);
    });
    await new Promise<void>((r) => bare!.listen(0, "127.0.0.1", r));
    const barePort = (bare.address() as AddressInfo).port;
    const request = [Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Aws-Parameters-Secrets-Token: ${TOKEN}\r\nConnection: keep-alive\r\n\r\n`, "latin1")];
    const cpu = { agent: 0, bare: 0 };
    const run = async (port: number, side: "agent" | "bare") => {
      const c0 = process.cpuUsage();
      const r = await loadOnWorker({ host: "127.0.0.1", port, requests: request, connections, durationMs: seconds * 1000, warmupMs: 1000 });
      const c = process.cpuUsage(c0);
      // The whole run's CPU (warm-up included) over the requests counted after the warm-up: the same bias on both sides.
      cpu[side] += (c.user + c.system) / Math.max(1, r.requests) / rounds;
      return r;
    };
    const a: LoadResult[] = [];
    const b: LoadResult[] = [];
    for (let i = 0; i < rounds; i++) {
      b.push(await run(barePort, "bare"));
      a.push(await run(agent.port, "agent"));
    }
    for (const r of [...a, ...b]) if (r.non2xx > 0 || r.errors > 0) throw new Error(`the agent benchmark saw ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    const mean = (rs: LoadResult[], f: (r: LoadResult) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    return { agentRps: mean(a, (r) => r.rps), bareRps: mean(b, (r) => r.rps), agentP99Ms: mean(a, (r) => r.p99), bareP99Ms: mean(b, (r) => r.p99), responseBytes: body.length, agentCpuUsPerRequest: cpu.agent, bareCpuUsPerRequest: cpu.bare };
  } finally {
    await new Promise<void>((r) => (bare ? (bare.close(() => r()), bare.closeAllConnections()) : r()));
    await agent.close();
  }
}
