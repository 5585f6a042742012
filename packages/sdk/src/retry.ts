/** Bounds of the retries of one call: attempts, the exponential cap, and the whole call's time budget. */
export interface RetryPolicy {
  /** Attempts in total, the first included (default 4). */
  maxAttempts: number;
  /** Cap of the first backoff (default 100 ms); doubles each retry. */
  baseDelayMs: number;
  /** Largest cap of one backoff (default 5 s). */
  maxDelayMs: number;
  /** No retry starts after this long since the first attempt (default 20 s). */
  maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5000, maxTotalMs: 20_000 };

/** "Full jitter": a uniform delay in [0, min(maxDelayMs, baseDelayMs * 2^retry)), `retry` counted from 0. */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, throws an error `isRetryable` rejects, runs out of attempts,
 * or the next backoff would end past `maxTotalMs`; the last error is thrown.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  o: { isRetryable: (e: unknown) => boolean; onRetry?: (e: unknown, delayMs: number) => void; random?: () => number },
): Promise<T> {
  const start = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (e) {
      if (n >= policy.maxAttempts || !o.isRetryable(e)) throw e;
      const delay = backoffDelay(n - 1, policy, o.random);
      if (Date.now() + delay - start > policy.maxTotalMs) throw e;
      o.onRetry?.(e, delay);
      await sleep(delay);
    }
  }
}
