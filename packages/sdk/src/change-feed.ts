import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import { backoffDelay } from "./retry.js";
import { SseParser, type ChangeEvent, type SseEvent } from "@keyshift/protocol";
import type { ManagementEndpoint } from "./transport.js";

export type { ChangeEvent };

/** What the feed tells its owner. */
export type FeedSignal =
  /** The stream is up (`hello`); `resumed` when it continues from a Last-Event-ID we sent. */
  | { kind: "connected"; resumed: boolean; seq: number }
  | { kind: "change"; change: ChangeEvent }
  /** Events were lost: everything may have changed. */
  | { kind: "reset" }
  /** The stream broke; a reconnection is scheduled. */
  | { kind: "disconnected"; error: Error }
  /** The server has no feed (404/403/400/405 on /v1/changes): it is not retried. */
  | { kind: "unavailable"; status: number };

export interface ChangeFeedOptions {
  management: ManagementEndpoint;
  onSignal: (s: FeedSignal) => void;
  /** No byte (not even the 15 s ping) for this long counts as a broken stream (default 45 s). */
  idleTimeoutMs?: number;
  /** Reconnection backoff, full jitter (default 250 ms doubling to 30 s). */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
}

const UNAVAILABLE = new Set([400, 403, 404, 405, 501]);

/**
 * One SigV4-signed `GET /v1/changes` server-sent-events stream, kept up: it reconnects with
 * backoff and `Last-Event-ID` (the last event processed, or the `hello` Seq before any), which
 * also re-authenticates it. It does not keep the process alive unless `setKeepAlive(true)`.
 */
export class ChangeFeed {
  private lastId: string | undefined;
  private req: http.ClientRequest | undefined;
  private socket: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;
  private started = false;
  private keepAlive = false;
  private up = false;
  private everConnected = false;

  constructor(private readonly o: ChangeFeedOptions) {}

  /** The id a reconnection would resume from. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** True while a stream is open and past its `hello`. */
  get connected(): boolean {
    return this.up;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    this.up = false;
    clearTimeout(this.timer);
    this.req?.destroy();
  }

  /** Whether the open stream and the reconnection timer keep the process alive. */
  setKeepAlive(on: boolean): void {
    this.keepAlive = on;
    this.applyKeepAlive();
  }

  private applyKeepAlive(): void {
    if (this.keepAlive) {
      this.socket?.ref();
      this.timer?.ref();
    } else {
      this.socket?.unref();
      this.timer?.unref();
    }
  }

  private signal(s: FeedSignal): void {
    try {
      this.o.onSignal(s);
    } catch {
      /* the owner's problem */
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const url = this.o.management.url("/v1/changes");
    const sentId = this.lastId;
    let finished = false;
    const broken = (error: Error): void => {
      if (finished) return;
      finished = true;
      this.up = false;
      this.req?.destroy();
      if (this.closed) return;
      this.signal({ kind: "disconnected", error });
      const delay = backoffDelay(this.attempt++, { baseDelayMs: this.o.reconnectBaseMs ?? 250, maxDelayMs: this.o.reconnectMaxMs ?? 30_000 });
      this.timer = setTimeout(() => void this.connect(), delay);
      this.applyKeepAlive();
    };
    let headers: Record<string, string>;
    try {
      headers = await this.o.management.signedHeaders("GET", url, { accept: "text/event-stream", ...(sentId !== undefined ? { "last-event-id": sentId } : {}) }, "");
    } catch (e) {
      broken(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.closed) return;
    const req = (url.protocol === "https:" ? https : http).request(url, { method: "GET", headers, agent: false });
    this.req = req;
    req.on("socket", (s: Socket) => {
      this.socket = s;
      this.applyKeepAlive();
    });
    req.setTimeout(this.o.idleTimeoutMs ?? 45_000, () => broken(new Error("change feed idle")));
    req.on("error", (e) => broken(e));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      // A 200 that is not an event stream is some other service answering every path (a proxy, a mock).
      const type = String(res.headers["content-type"] ?? "");
      const notAStream = status === 200 && !type.startsWith("text/event-stream");
      // Keyshift answers errors in AWS JSON; before any hello, another shape means another server (moto answers 500 in HTML).
      const foreign = !this.everConnected && status !== 200 && !/json/i.test(type);
      if (status !== 200 || notAStream) {
        res.resume();
        if (UNAVAILABLE.has(status) || notAStream || foreign) {
          finished = true;
          this.closed = true;
          req.destroy();
          this.signal({ kind: "unavailable", status });
        } else broken(new Error(`change feed: HTTP ${status}`));
        return;
      }
      const parser = new SseParser((e) => this.onEvent(e, sentId));
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => parser.push(chunk));
      res.on("end", () => broken(new Error("change feed ended by the server")));
      res.on("error", (e) => broken(e));
      res.on("close", () => broken(new Error("change feed closed")));
    });
    req.end();
  }

  private onEvent(e: SseEvent, sentId: string | undefined): void {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(e.data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (e.event === "hello") {
      this.attempt = 0;
      this.up = true;
      this.everConnected = true;
      const seq = Number(data.Seq);
      if (this.lastId === undefined && Number.isFinite(seq)) this.lastId = String(seq);
      this.signal({ kind: "connected", resumed: sentId !== undefined, seq });
    } else if (e.event === "change") {
      if (e.id !== undefined) this.lastId = e.id;
      this.signal({ kind: "change", change: data as unknown as ChangeEvent });
    } else if (e.event === "reset") {
      const seq = Number(data.Seq);
      if (Number.isFinite(seq)) this.lastId = String(seq);
      this.signal({ kind: "reset" });
    }
  }
}
