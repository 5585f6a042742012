export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive upstream failures that open the circuit (default 5). */
  failureThreshold: number;
  /** How long it stays open before one probe is let through (default 10 s). */
  resetAfterMs: number;
}

/**
 * A circuit breaker over the upstream: `closed` lets every request through; `failureThreshold`
 * consecutive failures open it; while `open` nothing goes through until `resetAfterMs` has passed,
 * then it is `half-open` and admits exactly one probe: its success closes the circuit, its
 * failure opens it for another cool-down. Time comes from `now` (injectable for tests).
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = "closed";

  constructor(
    private readonly o: CircuitBreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.current === "open" && this.now() - this.openedAt >= this.o.resetAfterMs) return "half-open";
    return this.current;
  }

  /** When a request may go next (ms since the epoch, on `now`'s clock); 0 when closed. */
  get retryAt(): number {
    return this.current === "closed" ? 0 : this.openedAt + this.o.resetAfterMs;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Asks to send one request: false when open, or half-open with the probe already out. */
  admit(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.probing) return false;
    this.current = "half-open";
    this.probing = true;
    return true;
  }

  /** The upstream answered (even with a client error such as ResourceNotFoundException). */
  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = "closed";
  }

  /** The request ended without telling anything about the upstream (a local error): a probe slot is given back. */
  release(): void {
    this.probing = false;
  }

  /** The upstream failed (5xx, throttling, network, timeout). */
  failure(): void {
    this.failures++;
    if (this.current === "half-open" || (this.current === "closed" && this.failures >= this.o.failureThreshold)) {
      this.current = "open";
      this.openedAt = this.now();
    }
    this.probing = false;
  }
}
