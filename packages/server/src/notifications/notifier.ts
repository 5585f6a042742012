import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { DeliveryLog, DeliveryRecord } from "./delivery-log.js";
import { slackText, type NotificationBody, type NotificationEvent } from "./events.js";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from "./signing.js";
import type { Webhook, WebhookDirectory } from "./webhooks.js";

export interface NotifierOptions {
  /** Attempts per delivery, the first included. */
  maxAttempts: number;
  /** Wait before attempt n+1: retryBaseMs × 2^(n-1), at most retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  clock: () => number;
  log: Logger;
  /** Deliveries in flight or waiting for a retry, at most; beyond it new ones are logged as failed at once. */
  maxPending?: number;
  onDeliveryEnded?: (kind: Webhook["kind"], outcome: "delivered" | "failed") => void;
}

/** The part of the notifier other components use: the management API emits EmergencyRotation through it. */
export interface NotificationSink {
  /** Queues `e` for every webhook that wants it; returns at once, never throws. */
  emit(e: NotificationEvent): void;
}

const RETRYABLE = (status: number) => status >= 500 || status === 429 || status === 408;

/**
 * Delivers events to webhooks: a signed JSON body (kind `webhook`) or a Slack-compatible
 * `{"text"}` (kind `slack`), POSTed with a timeout; network errors, 5xx, 408 and 429 are retried
 * with exponential backoff, other answers end the delivery as failed. Every attempt's outcome is
 * written to the delivery log. Retries happen in this process only: a delivery pending when
 * the server stops is recorded as failed at the next start.
 */
export class Notifier implements NotificationSink {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly webhooks: WebhookDirectory,
    private readonly deliveries: DeliveryLog,
    private readonly o: NotifierOptions,
  ) {}

  emit(e: NotificationEvent): void {
    if (this.stopping.signal.aborted) return;
    try {
      const targets = this.webhooks.forEvent(e.accountId, e.type);
      if (targets.length === 0) return;
      const body: NotificationBody = {
        id: randomUUID(),
        type: e.type,
        time: new Date(e.time ?? this.o.clock()).toISOString(),
        ...(e.accountId !== undefined ? { accountId: e.accountId } : {}),
        ...(e.secretArn !== undefined ? { secretArn: e.secretArn } : {}),
        ...(e.secretName !== undefined ? { secretName: e.secretName } : {}),
        ...(e.versionId !== undefined ? { versionId: e.versionId } : {}),
        ...(e.principalArn !== undefined ? { principalArn: e.principalArn } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      };
      for (const w of targets) this.start(w, body);
    } catch (err) {
      this.o.log.error({ err, type: e.type }, "queueing a notification failed");
    }
  }

  /** Resolves when every delivery queued so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops retrying; deliveries in flight end as failed ("server stopped"). */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  private start(w: Webhook, body: NotificationBody): void {
    const now = this.o.clock();
    const rec: DeliveryRecord = {
      id: randomUUID(), eventId: body.id, type: body.type, webhook: w.name, ...(w.accountId !== undefined ? { accountId: w.accountId } : {}),
      kind: w.kind, target: originOf(w.url), status: "pending", attempts: 0, createdAt: now, updatedAt: now,
    };
    if (this.pending.size >= (this.o.maxPending ?? 1000)) {
      this.end({ ...rec, status: "failed", lastError: "too many deliveries pending" });
      return;
    }
    const p = this.deliver(w, body, rec)
      .catch((err) => this.o.log.error({ err, webhook: w.name }, "notification delivery failed unexpectedly"))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private async deliver(w: Webhook, body: NotificationBody, first: DeliveryRecord): Promise<void> {
    const payload = w.kind === "slack" ? JSON.stringify({ text: slackText(body) }) : JSON.stringify(body);
    let rec = first;
    for (let attempt = 1; ; attempt++) {
      const { statusCode, error } = await this.attempt(w, body, payload, rec.id);
      const now = this.o.clock();
      rec = { ...rec, attempts: attempt, updatedAt: now, ...(statusCode !== undefined ? { lastStatusCode: statusCode } : {}), ...(error !== undefined ? { lastError: error } : {}) };
      delete rec.nextAttemptAt;
      if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) {
        delete rec.lastError;
        return this.end({ ...rec, status: "delivered" });
      }
      const retry = attempt < this.o.maxAttempts && (statusCode === undefined || RETRYABLE(statusCode)) && !this.stopping.signal.aborted;
      if (!retry) return this.end({ ...rec, status: "failed", ...(this.stopping.signal.aborted ? { lastError: "server stopped" } : {}) });
      const wait = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** (attempt - 1));
      rec = { ...rec, nextAttemptAt: now + wait };
      this.deliveries.record(rec);
      this.o.log.warn({ webhook: w.name, deliveryId: rec.id, type: body.type, attempt, statusCode, error, retryInMs: wait }, "notification delivery failed; retrying");
      if (!(await sleep(wait, this.stopping.signal))) return this.end({ ...rec, status: "failed", lastError: "server stopped" });
    }
  }

  private async attempt(w: Webhook, body: NotificationBody, payload: string, deliveryId: string): Promise<{ statusCode?: number; error?: string }> {
    const ts = Math.floor(this.o.clock() / 1000);
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Keyshift-Notifier/1", [EVENT_HEADER]: body.type, [DELIVERY_HEADER]: deliveryId, [TIMESTAMP_HEADER]: String(ts) };
    if (w.secret) headers[SIGNATURE_HEADER] = signBody(w.secret, ts, payload);
    try {
      const res = await fetch(w.url, { method: "POST", headers, body: payload, redirect: "manual", signal: AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs), this.stopping.signal]) });
      await res.arrayBuffer().catch(() => undefined);
      return { statusCode: res.status };
    } catch (e) {
      // Only the error's name and cause code: a message could echo the URL, whose path may be a credential (Slack).
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { error: `${(e as Error).name ?? "Error"}${cause ? ` (${cause})` : ""}` };
    }
  }

  private end(rec: DeliveryRecord): void {
    this.deliveries.record(rec);
    this.o.onDeliveryEnded?.(rec.kind, rec.status === "delivered" ? "delivered" : "failed");
    if (rec.status === "failed") this.o.log.warn({ webhook: rec.webhook, deliveryId: rec.id, type: rec.type, attempts: rec.attempts, statusCode: rec.lastStatusCode, error: rec.lastError }, "notification not delivered");
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}

/** Resolves true after `ms`, false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
