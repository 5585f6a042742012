import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { signRequest } from "@keyshift/protocol";
import type { Logger } from "../log.js";
import type { CredentialSource } from "./credentials.js";
import { SseParser } from "@keyshift/protocol";
import {
  UpstreamError,
  type FeedEvent,
  type FeedState,
  type GetSecretValueRequest,
  type Holding,
  type SecretChange,
  type SecretDescription,
  type SecretValue,
  type Subscription,
  type Upstream,
} from "./upstream.js";

export interface HttpUpstreamOptions {
  endpoint: string;
  region: string;
  credentials: CredentialSource;
  logger: Logger;
  /** Per call (not for the feed). Default 30 s. */
  timeoutMs?: number;
  /** The consumer id and name reported to `PUT /v1/consumers/{id}`. */
  consumerId: string;
  consumerName: string;
  /** Feed reconnect delays: first and largest (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

/** Upstream calls carry the AWS agent's user agent token, so server logs count them the same way. */
const USER_AGENT = "keyshift-agent/0.1.0 aws-secrets-manager-agent";
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "UND_ERR_SOCKET"]);
/** The server pings every 15 s; this much silence means the stream is dead. */
const FEED_SILENCE_MS = 45_000;

class StaleSocket extends Error {}

function errorCode(status: number, headers: IncomingMessage["headers"], text: string): { code: string; message: string } {
  let code = String(headers["x-amzn-errortype"] ?? "").split(":")[0] ?? "";
  let message = "";
  try {
    const e = JSON.parse(text) as { __type?: string; code?: string; Message?: string; message?: string };
    code = e.__type ?? e.code ?? code;
    message = e.Message ?? e.message ?? "";
  } catch {
    /* not JSON: keep the header's code */
  }
  code = code.slice(code.lastIndexOf("#") + 1);
  return { code: code || (status >= 500 ? "InternalFailure" : "UnknownError"), message };
}

/**
 * The upstream over HTTP: the JSON 1.1 Secrets Manager API signed with SigV4 (works against
 * Keyshift, AWS or any compatible endpoint), plus Keyshift's `/v1/changes` feed and
 * `/v1/consumers` reporting (SigV4 service name `keyshift`). Connections are kept alive.
 */
export class HttpUpstream implements Upstream {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof httpRequest;

  constructor(private readonly o: HttpUpstreamOptions) {
    this.url = new URL(o.endpoint);
    const https = this.url.protocol === "https:";
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 64 }) : new HttpAgent({ keepAlive: true, maxSockets: 64 });
    this.request = (https ? httpsRequest : httpRequest) as typeof httpRequest;
  }

  /**
   * One signed request. A kept-alive connection that the server closed just as it was reused
   * fails with ECONNRESET before anything was processed: that case is retried once on a new one.
   */
  private async call(method: string, path: string, service: string, body: string, extra: Record<string, string>): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
    try {
      return await this.once(method, path, service, body, extra);
    } catch (e) {
      if (e instanceof StaleSocket) return this.once(method, path, service, body, extra);
      throw e;
    }
  }

  private once(method: string, path: string, service: string, body: string, extra: Record<string, string>, timeoutMs = this.o.timeoutMs ?? 30_000): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
    return new Promise((resolve, reject) => {
      let creds;
      try {
        creds = this.o.credentials.get();
      } catch (e) {
        return reject(new UpstreamError("internal", (e as Error).message));
      }
      const [p, q] = path.split("?") as [string, string | undefined];
      const headers = signRequest({ method, host: this.url.host, path: p, ...(q ? { query: q } : {}), headers: extra, body, region: this.o.region, service }, creds);
      headers["user-agent"] = USER_AGENT;
      headers["content-length"] = String(Buffer.byteLength(body));
      const req = this.request({ protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e) => reject(new UpstreamError("connection", e.message)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new UpstreamError("timeout", `no answer within ${timeoutMs} ms`)));
      req.on("error", (e: NodeJS.ErrnoException) => {
        if (e instanceof UpstreamError) reject(e);
        else if (req.reusedSocket && e.code === "ECONNRESET") reject(new StaleSocket());
        else reject(new UpstreamError(CONNECTION_CODES.has(e.code ?? "") ? "connection" : "internal", e.code ?? e.message));
      });
      req.end(body);
    });
  }

  private async aws<T>(target: string, input: object): Promise<T> {
    const r = await this.call("POST", "/", "secretsmanager", JSON.stringify(input), { "content-type": "application/x-amz-json-1.1", "x-amz-target": `secretsmanager.${target}` });
    if (r.status !== 200) {
      const e = errorCode(r.status, r.headers, r.text);
      throw new UpstreamError("service", e.message, r.status, e.code);
    }
    try {
      return JSON.parse(r.text) as T;
    } catch {
      throw new UpstreamError("internal", `${target} answered with something that is not JSON`);
    }
  }

  async getSecretValue(req: GetSecretValueRequest): Promise<SecretValue> {
    const v = await this.aws<SecretValue>("GetSecretValue", req);
    if (typeof v.ARN !== "string" || typeof v.VersionId !== "string") throw new UpstreamError("internal", "GetSecretValue answered without ARN or VersionId");
    return v;
  }

  async describeSecret(secretId: string): Promise<SecretDescription> {
    const d = await this.aws<Partial<SecretDescription>>("DescribeSecret", { SecretId: secretId });
    return { ARN: d.ARN ?? "", Name: d.Name ?? "", VersionIdsToStages: d.VersionIdsToStages ?? {} };
  }

  async report(holdings: Holding[]): Promise<void> {
    const body = JSON.stringify({ Name: this.o.consumerName, Kind: "agent", Holdings: holdings });
    const r = await this.call("PUT", `/v1/consumers/${encodeURIComponent(this.o.consumerId)}`, "keyshift", body, { "content-type": "application/json" });
    if (r.status !== 200) {
      const e = errorCode(r.status, r.headers, r.text);
      throw new UpstreamError("service", e.message, r.status, e.code);
    }
  }

  subscribe(onEvent: (e: FeedEvent) => void, onState: (s: FeedState) => void): Subscription {
    let closed = false;
    let lastId: string | undefined;
    let delay = this.o.retryMinMs ?? 250;
    let timer: NodeJS.Timeout | undefined;
    let current: { destroy(): void } | undefined;
    let up = false;
    const down = (reason: string) => {
      current = undefined;
      if (closed) return;
      if (up || delay === (this.o.retryMinMs ?? 250)) onState({ up: false, reason });
      up = false;
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, this.o.retryMaxMs ?? 30_000);
    };
    const connect = () => {
      if (closed) return;
      let creds;
      try {
        creds = this.o.credentials.get();
      } catch (e) {
        return down((e as Error).message);
      }
      const extra: Record<string, string> = { accept: "text/event-stream" };
      const resumeFrom = lastId;
      if (resumeFrom !== undefined) extra["last-event-id"] = resumeFrom;
      const headers = signRequest({ method: "GET", host: this.url.host, path: "/v1/changes", headers: extra, body: "", region: this.o.region, service: "keyshift" }, creds);
      headers["user-agent"] = USER_AGENT;
      let finished = false;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        clearTimeout(silence);
        req.destroy();
        down(reason);
      };
      let silence: NodeJS.Timeout = setTimeout(() => finish("no answer from the change feed"), FEED_SILENCE_MS);
      const req = this.request({ protocol: this.url.protocol, hostname: this.url.hostname, port: this.url.port, method: "GET", path: "/v1/changes", headers }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return finish(`the change feed answered HTTP ${res.statusCode}`);
        }
        res.setEncoding("utf8");
        const parser = new SseParser((e) => {
          if (e.event === "hello") {
            up = true;
            delay = this.o.retryMinMs ?? 250;
            onState({ up: true });
            if (resumeFrom === undefined) {
              // No position: whatever happened before this subscription is unknown.
              try {
                lastId = String((JSON.parse(e.data) as { Seq: number }).Seq);
              } catch {
                /* keep none */
              }
              onEvent({ kind: "reset" });
            }
          } else if (e.event === "reset") {
            try {
              lastId = String((JSON.parse(e.data) as { Seq: number }).Seq);
            } catch {
              lastId = undefined;
            }
            onEvent({ kind: "reset" });
          } else if (e.event === "change") {
            let change: SecretChange;
            try {
              change = JSON.parse(e.data) as SecretChange;
            } catch {
              return;
            }
            if (e.id !== undefined) lastId = e.id;
            onEvent({ kind: "change", change });
          }
        });
        res.on("data", (d: string) => {
          clearTimeout(silence);
          silence = setTimeout(() => finish("the change feed went silent"), FEED_SILENCE_MS);
          parser.push(d);
        });
        res.on("end", () => finish("the change feed ended"));
        res.on("error", (e) => finish(e.message));
      });
      req.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
      req.end();
      current = { destroy: () => ((finished = true), clearTimeout(silence), req.destroy()) };
    };
    connect();
    return {
      close: () => {
        closed = true;
        clearTimeout(timer);
        current?.destroy();
      },
    };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
