import type { Holding } from "./secret-cache.js";
import type { ManagementEndpoint } from "./transport.js";

export interface ConsumerReporterOptions {
  management: ManagementEndpoint;
  consumerId: string;
  name: string;
  holdings: () => Holding[];
  /** Report at least this often (default 60 s). */
  intervalMs?: number;
  /** A change is reported after this quiet period, so that a burst is one report (default 500 ms). */
  debounceMs?: number;
  onError?: (e: Error) => void;
}

/**
 * Tells the server which versions this client holds (`PUT /v1/consumers/{id}`, kind `sdk`): on
 * the first change, on every change (debounced) and every `intervalMs`. Best effort: failures
 * are passed to `onError` and never reach the application; a server without the endpoint
 * (404/403) stops it for good. Its timers do not keep the process alive.
 */
export class ConsumerReporter {
  private debounce: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;
  private sending: Promise<void> | undefined;
  private again = false;
  /** Reports that reached the server. */
  reports = 0;

  constructor(private readonly o: ConsumerReporterOptions) {}

  /** The holdings may have changed: report soon. */
  changed(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.report(), this.o.debounceMs ?? 500);
    this.debounce.unref();
    if (!this.interval) {
      this.interval = setInterval(() => void this.report(), this.o.intervalMs ?? 60_000);
      this.interval.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.debounce);
    clearInterval(this.interval);
  }

  /** Stops, first telling the server (if it ever heard from us) that nothing is held any more. */
  async close(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    clearInterval(this.interval);
    await this.sending;
    if (this.reports > 0 && !this.stopped) await this.send([]);
    this.stop();
  }

  /** Sends the current holdings now (one report at a time; a request made meanwhile runs after). */
  async report(): Promise<void> {
    if (this.stopped) return;
    if (this.sending) {
      this.again = true;
      return this.sending;
    }
    this.sending = (async () => {
      do {
        this.again = false;
        await this.send();
      } while (this.again && !this.stopped);
    })().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async send(holdings: Holding[] = this.o.holdings()): Promise<void> {
    const m = this.o.management;
    const url = m.url(`/v1/consumers/${encodeURIComponent(this.o.consumerId)}`);
    const body = JSON.stringify({ Name: this.o.name, Kind: "sdk", Holdings: holdings });
    try {
      const headers = await m.signedHeaders("PUT", url, { "content-type": "application/json" }, body);
      delete headers.host;
      const res = await m.fetch(url, { method: "PUT", headers, body, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      if (res.status === 404 || res.status === 403 || res.status === 405) this.stop(); // a server without consumer reporting, or not for us
      else if (!res.ok) throw new Error(`consumer report: HTTP ${res.status}`);
      else this.reports++;
    } catch (e) {
      this.o.onError?.(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
