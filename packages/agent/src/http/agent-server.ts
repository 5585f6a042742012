import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { CacheAnswer, CacheEntry, SecretCache } from "../cache/secret-cache.js";
import type { Logger } from "../log.js";
import { AgentHttpError, upstreamFailure } from "./agent-http-error.js";
import { queryFromParams, queryFromPath, type SecretQuery } from "./secret-query.js";

export interface AgentServerOptions {
  cache: SecretCache;
  /** The SSRF token every request but /ping must carry in one of `ssrfHeaders`. */
  token: string;
  ssrfHeaders: readonly string[];
  pathPrefix: string;
  maxConn: number;
  /** 0 picks a free port (tests). Always bound to 127.0.0.1. */
  port: number;
  logger: Logger;
}

export interface AgentServer {
  port: number;
  close(): Promise<void>;
}

/** The header a stale answer carries (Keyshift extension; the body is the AWS agent's). */
export const STALE_HEADER = "X-Keyshift-Stale";
const HEALTHY = Buffer.from("healthy");

function reply(res: ServerResponse, status: number, body: Buffer | string, stale = false): void {
  const b = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, stale ? ["Content-Length", String(b.length), STALE_HEADER, "true"] : ["Content-Length", String(b.length)]);
  res.end(b);
}

/**
 * The AWS Secrets Manager Agent's HTTP interface on 127.0.0.1, with its validation chain in
 * its order: connection limit (429; /ping is allowed one connection more), forwarding
 * (`X-Forwarded-For` → 400 `Forwarded`), SSRF token (403 `Bad Token`; /ping needs none), method
 * (405), then the route. A fresh cached answer is written from its precomputed body through
 * an index by request URL, without parsing the URL again.
 */
export async function startAgentServer(o: AgentServerOptions): Promise<AgentServer> {
  const token = Buffer.from(o.token, "utf8");
  const tokenHeaders = new Set(o.ssrfHeaders.map((h) => h.toLowerCase()));
  const byUrl = new Map<string, CacheEntry>();
  const maxIndexed = 4 * 1000;
  let connections = 0;

  /**
   * One pass over the raw headers (cheaper than building req.headers): 0 = a good token,
   * 1 = forwarded, 2 = no good token. The comparison is constant-time for a value of the
   * token's length (a length differs at once: that reveals the length only).
   */
  const check = (raw: string[]): 0 | 1 | 2 => {
    let ok = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name === "x-forwarded-for") return 1;
      if (!ok && tokenHeaders.has(name)) {
        const v = Buffer.from(raw[i + 1]!, "utf8");
        ok = v.length === token.length && timingSafeEqual(v, token);
      }
    }
    return ok ? 0 : 2;
  };

  const answer = async (res: ServerResponse, url: string, q: SecretQuery) => {
    let a: CacheAnswer;
    try {
      a = await o.cache.get(q, q.refreshNow);
    } catch (e) {
      const err = upstreamFailure(e);
      o.logger.info("request failed", { secretId: q.secretId, status: err.status });
      if (!res.destroyed) reply(res, err.status, err.body);
      return;
    }
    if (!a.stale && !q.refreshNow && a.entry.key !== "") {
      if (byUrl.size >= maxIndexed) byUrl.clear();
      byUrl.set(url, a.entry);
    }
    if (!res.destroyed) reply(res, 200, a.entry.body, a.stale);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const ping = path === "/ping";
    if (connections > o.maxConn + (ping ? 1 : 0)) return reply(res, 429, "Connection limit exceeded");
    const c = check(req.rawHeaders);
    if (c === 1) return reply(res, 400, "Forwarded");
    if (c === 2 && !ping) return reply(res, 403, "Bad Token");
    if (req.method !== "GET") return reply(res, 405, "Not allowed");
    const hit = byUrl.get(url);
    if (hit !== undefined && !hit.evicted && Date.now() < hit.expiresAt) {
      o.cache.touch(hit);
      res.writeHead(200, hit.head);
      res.end(hit.body);
      return;
    }
    if (ping) return reply(res, 200, HEALTHY);
    try {
      const params = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
      let query: SecretQuery;
      if (path === "/secretsmanager/get") query = queryFromParams(params);
      else if (path.startsWith(o.pathPrefix)) query = queryFromPath(path, o.pathPrefix, params);
      else return reply(res, 404, "Not found");
      void answer(res, url, query);
    } catch (e) {
      const err = e instanceof AgentHttpError ? e : upstreamFailure(e);
      reply(res, err.status, err.body);
    }
  };

  const server: Server = createServer(handle);
  server.requestTimeout = 61_000;
  server.on("connection", (s: Socket) => {
    connections++;
    s.setNoDelay(true);
    s.once("close", () => connections--);
  });
  server.on("clientError", (_e, s: Socket) => {
    if (s.writable) s.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    else s.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
