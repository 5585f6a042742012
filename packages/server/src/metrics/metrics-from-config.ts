import type { Config } from "../config/schema.js";
import type { Store } from "../storage/store.js";
import { metricsEndpoint } from "./metrics-endpoint.js";
import { Metrics } from "./metrics.js";

/** The metrics and their `GET /metrics` handler as configured; undefined when `metrics.enabled` is off. */
export function metricsFromConfig(config: Config, store: Store): { metrics: Metrics; endpoint: ReturnType<typeof metricsEndpoint> } | undefined {
  const m = config.metrics;
  if (!m.enabled) return undefined;
  // The serving store may be a CachingStore (possibly behind the change-feed proxy, which forwards methods).
  const stats = (store as { stats?: () => { hits: number; misses: number; entries: number } }).stats;
  const metrics = new Metrics({ perSecretLabels: m.perSecretLabels, processMetrics: m.processMetrics, ...(typeof stats === "function" ? { cacheStats: stats } : {}) });
  return { metrics, endpoint: metricsEndpoint(metrics, { access: m.access, ...(m.bearerToken ? { bearerToken: m.bearerToken } : {}) }) };
}
