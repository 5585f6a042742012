import type { CallOutcome } from "../http/call-record.js";

const OUTCOMES: readonly CallOutcome[] = ["success", "unauthenticated", "denied", "client_error", "server_error"];

interface Series {
  labels: { api: string; operation: string; outcome: CallOutcome };
  count: number;
  sum: number;
  /** Observations per bucket, not cumulative; the last one is above every bound (+Inf). */
  buckets: Float64Array;
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/** The shape prom-client's Registry reads from a registered metric. */
export interface CollectedMetric {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  get(): Promise<{ name: string; help: string; type: string; aggregator: "sum"; values: Value[] }>;
  reset(): void;
}

/**
 * The per-call counter and latency histogram of the hot path: plain numbers in series bound
 * once per (api, operation, outcome), found through two small maps and an array index — no label
 * hashing or validation per call (prom-client does both on every `observe`, about a
 * microsecond). Rendered by prom-client's registry through `counter()` and `histogram()`.
 */
export class CallStats {
  private readonly byApi = new Map<string, Map<string, (Series | undefined)[]>>();
  private readonly all: Series[] = [];

  constructor(private readonly bounds: readonly number[]) {}

  observe(api: string, operation: string, outcome: CallOutcome, seconds: number): void {
    let ops = this.byApi.get(api);
    if (!ops) this.byApi.set(api, (ops = new Map()));
    let row = ops.get(operation);
    if (!row) ops.set(operation, (row = []));
    const i = OUTCOMES.indexOf(outcome);
    let s = row[i];
    if (!s) {
      s = { labels: { api, operation, outcome }, count: 0, sum: 0, buckets: new Float64Array(this.bounds.length + 1) };
      row[i] = s;
      this.all.push(s);
    }
    s.count++;
    s.sum += seconds;
    let b = 0;
    while (b < this.bounds.length && seconds > this.bounds[b]!) b++;
    s.buckets[b]!++;
  }

  counter(name: string, help: string): CollectedMetric {
    const values = (): Value[] => this.all.map((s) => ({ labels: s.labels, value: s.count }));
    return { name, help, type: "counter", aggregator: "sum", get: async () => ({ name, help, type: "counter", aggregator: "sum", values: values() }), reset: () => this.reset() };
  }

  histogram(name: string, help: string): CollectedMetric {
    const values = (): Value[] => {
      const out: Value[] = [];
      for (const s of this.all) {
        let cumulative = 0;
        for (const [i, le] of [...this.bounds, Infinity].entries()) {
          cumulative += s.buckets[i]!;
          out.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: le === Infinity ? "+Inf" : le }, value: cumulative });
        }
        out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        out.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return out;
    };
    return { name, help, type: "histogram", aggregator: "sum", get: async () => ({ name, help, type: "histogram", aggregator: "sum", values: values() }), reset: () => this.reset() };
  }

  private reset(): void {
    for (const s of this.all) {
      s.count = 0;
      s.sum = 0;
      s.buckets.fill(0);
    }
  }
}
