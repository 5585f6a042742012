import { connect, type Socket } from "node:net";
import { runWrk, wrkAvailable } from "./wrk.js";

export interface LoadOptions {
  host: string;
  port: number;
  /** Raw HTTP/1.1 requests (keep-alive), sent in turn by each connection. */
  requests: readonly Buffer[];
  connections: number;
  durationMs: number;
  warmupMs?: number;
  /** Ends the measurement early (checked every 50 ms after the warm-up); durationMs is then the longest it runs. Built-in generator only. */
  until?: () => boolean | Promise<boolean>;
  /** The generator (default loadGenerator()); a baseline for a run with `until` must use the built-in one too. */
  generator?: "wrk" | "node";
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  /** Responses with a status other than 2xx. */
  non2xx: number;
  errors: number;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/** Percentile (0..100) of latencies in ms. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The generator runLoad uses: wrk when it is installed (a C program: a few µs per request, where
 * this one spends tens on the cores it shares with the server under test), unless
 * BENCH_LOADGEN=node; runs that end on a condition (`until`) always use this one, and so do
 * the baselines they are compared with (LoadOptions.generator).
 */
export function loadGenerator(): "wrk" | "node" {
  return process.env.BENCH_LOADGEN !== "node" && wrkAvailable() ? "wrk" : "node";
}

/**
 * A small closed-loop HTTP/1.1 load generator over raw sockets: each connection sends one
 * request, waits for the whole response (Content-Length framed), records the latency with
 * hrtime, sends the next. Requests are pre-built, so the generator spends its time on the
 * socket, not on building requests; the same generator measures Keyshift and the bare server.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  if ((o.generator ?? loadGenerator()) === "wrk" && !o.until) return runWrk(o);
  const warmup = o.warmupMs ?? 1000;
  const lat: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let measuring = false;
  let stopped = false;
  let next = 0;
  const sockets: Socket[] = [];

  const one = () =>
    new Promise<void>((resolve) => {
      const sock = connect({ host: o.host, port: o.port, noDelay: true });
      sockets.push(sock);
      let buf: Buffer = Buffer.alloc(0);
      let started = 0n;
      const send = () => {
        if (stopped) {
          sock.end();
          return resolve();
        }
        started = process.hrtime.bigint();
        sock.write(o.requests[next++ % o.requests.length]!);
      };
      sock.on("connect", send);
      sock.on("data", (d: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, d]) : d;
        for (;;) {
          const he = buf.indexOf(HEADER_END);
          if (he < 0) return;
          const head = buf.subarray(0, he).toString("latin1");
          const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          const len = m ? Number(m[1]) : 0;
          if (buf.length < he + 4 + len) return;
          const status = Number(head.slice(9, 12));
          buf = buf.subarray(he + 4 + len);
          if (measuring) {
            lat.push(Number(process.hrtime.bigint() - started) / 1e6);
            if (status < 200 || status > 299) non2xx++;
          }
          send();
        }
      });
      sock.on("error", () => {
        errors++;
        resolve();
      });
      sock.on("close", () => resolve());
    });

  const all = Promise.all(Array.from({ length: o.connections }, one));
  await new Promise((r) => setTimeout(r, warmup));
  measuring = true;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + o.durationMs;
  if (o.until) {
    while (Date.now() < deadline && !(await o.until())) await new Promise((r) => setTimeout(r, 50));
  } else await new Promise((r) => setTimeout(r, o.durationMs));
  measuring = false;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  stopped = true;
  const done = await Promise.race([all.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  if (!done) for (const s of sockets) s.destroy();
  const sorted = Float64Array.from(lat).sort();
  return { requests: lat.length, rps: lat.length / elapsed, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), non2xx, errors };
}

/** A raw keep-alive POST request. */
export function rawRequest(path: string, headers: Record<string, string>, body: string): Buffer {
  const b = Buffer.from(body, "utf8");
  let head = `POST ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries({ ...headers, "content-length": String(b.length), connection: "keep-alive" })) head += `${k}: ${v}\r\n`;
  return Buffer.concat([Buffer.from(head + "\r\n", "latin1"), b]);
}
