import type { AuditCheckpoint, AuditRecord } from "../records.js";
import type { AuditSink } from "./sink.js";

export interface HttpSinkOptions {
  url: string;
  /** Records per POST, at most. */
  batchSize: number;
  /** A partial batch is sent after this long. */
  flushMs: number;
  timeoutMs: number;
  /** Records held while the endpoint is down; beyond it the oldest are dropped (counted). */
  maxBuffer: number;
  headers: Readonly<Record<string, string>>;
  onError: (e: unknown) => void;
}

/**
 * POSTs batches as `{"Records": [...], "Checkpoints": [...]}` (application/json) to a collector.
 * A mirror, never on the request path: a failed POST is retried with backoff (1 s doubling to
 * 30 s) with the same batch first, so the collector sees the chain in order.
 */
export class HttpSink implements AuditSink {
  readonly name = "http";
  readonly durable = false;
  private records: AuditRecord[] = [];
  private checkpoints: AuditCheckpoint[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private backoffMs = 0;
  private closed = false;
  /** Records dropped because the buffer was full. */
  dropped = 0;
  delivered = 0;

  constructor(private readonly o: HttpSinkOptions) {}

  write(records: readonly AuditRecord[], checkpoints: readonly AuditCheckpoint[]): void {
    this.records.push(...records);
    this.checkpoints.push(...checkpoints);
    const over = this.records.length - this.o.maxBuffer;
    if (over > 0) {
      this.records.splice(0, over);
      this.dropped += over;
    }
    if (this.records.length >= this.o.batchSize && this.backoffMs === 0) this.kick(0);
    else this.kick(this.backoffMs || this.o.flushMs);
  }

  private kick(ms: number): void {
    if (this.closed || this.sending) return;
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sending = this.send().finally(() => {
        this.sending = undefined;
        if (this.records.length || this.checkpoints.length) this.kick(this.backoffMs || (this.records.length >= this.o.batchSize ? 0 : this.o.flushMs));
      });
    }, ms);
    this.timer.unref();
  }

  private async send(): Promise<void> {
    if (!this.records.length && !this.checkpoints.length) return;
    const records = this.records.slice(0, this.o.batchSize);
    const last = records.at(-1)?.seq ?? Infinity;
    const checkpoints = this.checkpoints.filter((c) => c.seq <= last);
    try {
      const res = await fetch(this.o.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...this.o.headers },
        body: JSON.stringify({ Records: records, Checkpoints: checkpoints }),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`audit collector answered ${res.status}`);
      this.records.splice(0, records.length);
      this.checkpoints = this.checkpoints.filter((c) => c.seq > last);
      this.delivered += records.length;
      this.backoffMs = 0;
    } catch (e) {
      this.backoffMs = Math.min(30_000, this.backoffMs ? this.backoffMs * 2 : 1000);
      this.o.onError(e);
    }
  }

  /** Sends what is buffered (one attempt per batch), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
    while (this.records.length || this.checkpoints.length) {
      const before = this.records.length + this.checkpoints.length;
      await this.send();
      if (this.backoffMs > 0 || this.records.length + this.checkpoints.length === before) break;
    }
  }
}
