import { appendFileSync, existsSync, readFileSync, renameSync, statSync } from "node:fs";
import type { NotificationType } from "./events.js";

/** One notification to one webhook: its state after the latest attempt. Never holds a body or a full URL. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  type: NotificationType;
  webhook: string;
  /** Owner of the webhook; unset for config-file webhooks. */
  accountId?: string;
  kind: "webhook" | "slack";
  /** The receiver's origin only (a Slack URL's path is its credential). */
  target: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: number;
  updatedAt: number;
  /** When the next attempt is due, while pending. */
  nextAttemptAt?: number;
}

export interface DeliveryQuery {
  /** Deliveries of this account's webhooks; with `withConfigured` also those of config-file webhooks. */
  accountId: string;
  withConfigured: boolean;
  webhook?: string;
  type?: string;
  status?: string;
  limit: number;
}

/**
 * The delivery log: a JSON-lines file in the data dir (0600), one line per attempt outcome
 * with the delivery's whole state (the last line of an id wins), and the newest `keep`
 * deliveries in memory for queries. The file is renamed to `<file>.1` past `maxBytes`
 * (one old generation kept). Writes are synchronous appends: deliveries are rare, and a line
 * is on disk before the next attempt starts.
 */
export class DeliveryLog {
  private readonly recent = new Map<string, DeliveryRecord>();
  private size = 0;

  constructor(
    private readonly file: string,
    private readonly keep = 1000,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {
    if (!existsSync(file)) return;
    this.size = statSync(file).size;
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (!line) continue;
      try {
        this.remember(JSON.parse(line) as DeliveryRecord);
      } catch {
        // A torn last line after a crash: the earlier state of that delivery stands.
      }
    }
    // A delivery pending when the server stopped is not retried after a restart.
    for (const r of this.recent.values()) if (r.status === "pending") this.recent.set(r.id, { ...r, status: "failed", lastError: r.lastError ?? "server stopped before delivery" });
  }

  private remember(r: DeliveryRecord): void {
    this.recent.delete(r.id);
    this.recent.set(r.id, r);
    if (this.recent.size > this.keep) this.recent.delete(this.recent.keys().next().value!);
  }

  record(r: DeliveryRecord): void {
    this.remember(r);
    const line = `${JSON.stringify(r)}\n`;
    if (this.size + line.length > this.maxBytes && this.size > 0) {
      renameSync(this.file, `${this.file}.1`);
      this.size = 0;
    }
    appendFileSync(this.file, line, { mode: 0o600 });
    this.size += Buffer.byteLength(line);
  }

  /** Newest first. */
  list(q: DeliveryQuery): DeliveryRecord[] {
    const out: DeliveryRecord[] = [];
    const all = [...this.recent.values()];
    for (let i = all.length - 1; i >= 0 && out.length < q.limit; i--) {
      const r = all[i]!;
      if (!(r.accountId === q.accountId || (q.withConfigured && r.accountId === undefined))) continue;
      if (q.webhook !== undefined && r.webhook !== q.webhook) continue;
      if (q.type !== undefined && r.type !== q.type) continue;
      if (q.status !== undefined && r.status !== q.status) continue;
      out.push(r);
    }
    return out;
  }
}
