import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createLogger, parseAgentConfig, startAgent, type RunningAgent, type StartAgentOptions } from "@keyshift/agent";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET } from "../testing/harness.js";

export const AGENT_TOKEN = "agent-test-token-9f8e7d";

export interface AgentReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One raw request to the agent on a fresh connection (no SDK, no keep-alive). */
export function agentGet(port: number, path: string, headers: Record<string, string> = { "X-Aws-Parameters-Secrets-Token": AGENT_TOKEN }, method = "GET"): Promise<AgentReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A log that keeps its lines (to check that no value reaches it). */
export function captureLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger("DEBUG", (l) => lines.push(l)) };
}

/** Starts the agent in this process against `endpoint` with the test key and token; `table` is the TOML config as a table. */
export async function startTestAgent(endpoint: string, table: Record<string, unknown> = {}, o: Partial<StartAgentOptions> = {}): Promise<RunningAgent> {
  return startAgent({
    config: parseAgentConfig({ log_level: "NONE", ...table }),
    env: { AWS_TOKEN: AGENT_TOKEN, AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION, HOME: "/nonexistent" },
    endpointUrl: endpoint,
    port: 0,
    feedRetryMinMs: 100,
    feedRetryMaxMs: 500,
    ...o,
  });
}

/** Polls `f` every 20 ms until it returns a value other than undefined, or throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An HTTP proxy in front of a Keyshift server that can cut the change feed: `cutFeed()` drops
 * the open `/v1/changes` streams and answers new ones 503 until `restoreFeed()`. The target can be
 * switched (a restarted server).
 */
export async function startFeedProxy(target: string) {
  let to = new URL(target);
  let cut = false;
  const streams = new Set<{ res: ServerResponse; up: Socket | undefined }>();
  const server = createServer((req, res) => {
    const isFeed = (req.url ?? "").startsWith("/v1/changes");
    if (isFeed && cut) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(`{"__type":"ServiceUnavailable","Message":"feed cut by the test"}`);
      return;
    }
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
    if (isFeed) {
      const s = { res, up: undefined as Socket | undefined };
      up.on("socket", (sock) => (s.up = sock));
      streams.add(s);
      res.on("close", () => {
        streams.delete(s);
        up.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cutFeed(): void {
      cut = true;
      for (const s of streams) {
        s.res.destroy();
        s.up?.destroy();
      }
    },
    restoreFeed(): void {
      cut = false;
    },
    setTarget(t: string): void {
      to = new URL(t);
    },
    openFeeds: () => streams.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of streams) s.res.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
