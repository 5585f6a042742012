import type { Logger } from "../log.js";
import type { Holding } from "../upstream/upstream.js";

/**
 * Tells the server which versions this agent holds (`PUT /v1/consumers/{id}`, docs/change-feed.md):
 * at start, shortly after every change (changes within `debounceMs` make one report) and every
 * `intervalMs` (at most 60 s, so the server keeps counting it as live). A failed report is
 * logged once per outage and retried at the next occasion; reporting never blocks serving.
 */
export class ConsumerReporter {
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private closed = false;

  constructor(
    private readonly o: { holdings: () => Holding[]; send: (h: Holding[]) => Promise<void>; logger: Logger; intervalMs?: number; debounceMs?: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.now(), Math.min(this.o.intervalMs ?? 60_000, 60_000));
    this.now();
  }

  /** Something held changed: report soon. */
  changed(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.now();
    }, this.o.debounceMs ?? 200);
  }

  private now(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.o
      .send(this.o.holdings())
      .then(
        () => {
          if (this.failing) this.o.logger.info("consumer report accepted again");
          this.failing = false;
        },
        (e: unknown) => {
          if (!this.failing) this.o.logger.warn("consumer report failed (retried later)", { error: (e as Error).message });
          this.failing = true;
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.now();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    await this.running;
  }
}
