import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { outcomeOf, type CallRecord } from "../http/call-record.js";
import type { RotationEvent } from "../rotation/engine.js";
import { CallStats } from "./call-stats.js";

/** What the audit log reports into (docs/observability.md): both O(1), synchronous, never throw. */
export interface AuditMetricsPort {
  /** Time one audit write (or one group commit) took, in seconds. */
  auditWriteLatency: { observe(seconds: number): void };
  /** Records accepted but not yet written. */
  auditQueueDepth: { set(n: number): void };
}

export interface MetricsOptions {
  perSecretLabels: boolean;
  processMetrics: boolean;
  /** Lookups served from memory by the store cache (CachingStore.stats), read at scrape time. */
  cacheStats?: () => { hits: number; misses: number; entries: number };
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ROTATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const AUDIT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * The server's Prometheus metrics, in a registry of its own (several servers may share a
 * process in tests). Observation is O(1) on the hot path: requests and latency go to plain
 * counters bound once per (api, operation, outcome) (call-stats.ts); error-path metrics use
 * prom-client directly. Labels never carry a secret name unless
 * `perSecretLabels` is on, and never a value.
 */
export class Metrics implements AuditMetricsPort {
  readonly registry = new Registry();
  readonly auditWriteLatency: Histogram;
  readonly auditQueueDepth: Gauge;
  private readonly calls = new CallStats(LATENCY_BUCKETS);
  private readonly errors: Counter;
  private readonly authn: Counter;
  private readonly authz: Counter;
  private readonly perSecret: Counter | undefined;
  private readonly rotations: Counter;
  private readonly rotationSeconds: Histogram;
  private readonly scheduled: Gauge;
  private readonly due: Gauge;
  private readonly overdue: Gauge;
  private readonly deliveries: Counter;

  constructor(o: MetricsOptions) {
    const registers = [this.registry];
    // prom-client's Registry takes any object with get(); these two read the hot path's plain counters.
    this.registry.registerMetric(this.calls.counter("keyshift_requests_total", "API calls by API, operation and outcome.") as never);
    this.registry.registerMetric(this.calls.histogram("keyshift_request_duration_seconds", "Time from the arrival of a request to its answer, by API, operation and outcome.") as never);
    this.errors = new Counter({ name: "keyshift_request_errors_total", help: "Failed API calls by API, operation and AWS error code.", labelNames: ["api", "operation", "code"], registers });
    this.authn = new Counter({ name: "keyshift_authentication_failures_total", help: "Requests refused because the caller could not be authenticated, by error code.", labelNames: ["api", "code"], registers });
    this.authz = new Counter({ name: "keyshift_authorization_failures_total", help: "Requests refused by access control (AccessDeniedException), by operation.", labelNames: ["api", "operation"], registers });
    this.perSecret = o.perSecretLabels
      ? new Counter({ name: "keyshift_secret_requests_total", help: "API calls per secret (metrics.perSecretLabels).", labelNames: ["operation", "secret", "outcome"], registers })
      : undefined;
    this.rotations = new Counter({ name: "keyshift_rotations_total", help: "Rotations that ended, by method and outcome.", labelNames: ["method", "outcome"], registers });
    this.rotationSeconds = new Histogram({ name: "keyshift_rotation_duration_seconds", help: "Duration of rotations from start to end, by method and outcome.", labelNames: ["method", "outcome"], buckets: ROTATION_BUCKETS, registers });
    this.scheduled = new Gauge({ name: "keyshift_secrets_rotation_scheduled", help: "Secrets with an automatic rotation scheduled (recomputed periodically).", registers });
    this.due = new Gauge({ name: "keyshift_secrets_rotation_due", help: "Secrets whose rotation is due now and not running (recomputed periodically).", registers });
    this.overdue = new Gauge({ name: "keyshift_secrets_rotation_overdue", help: "Secrets not rotated by the end of their rotation window (recomputed periodically).", registers });
    this.auditWriteLatency = new Histogram({ name: "keyshift_audit_write_duration_seconds", help: "Time to write audit records durably (per write or group commit).", buckets: AUDIT_BUCKETS, registers });
    this.auditQueueDepth = new Gauge({ name: "keyshift_audit_queue_depth", help: "Audit records accepted and not yet written.", registers });
    this.deliveries = new Counter({ name: "keyshift_notification_deliveries_total", help: "Notifications to webhooks that ended, by kind and outcome.", labelNames: ["kind", "outcome"], registers });
    const cache = o.cacheStats;
    if (cache) {
      new Counter({
        name: "keyshift_cache_lookups_total",
        help: "Secret and version lookups of the GetSecretValue path, by whether the store cache answered.",
        labelNames: ["result"],
        registers,
        collect() {
          const s = cache();
          this.reset();
          this.inc({ result: "hit" }, s.hits);
          this.inc({ result: "miss" }, s.misses);
        },
      });
      new Gauge({ name: "keyshift_cache_entries", help: "Secrets held in the store cache.", registers, collect() { this.set(cache().entries); } });
    }
    if (o.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The CallObserver of metrics: synchronous, O(1). */
  readonly observeCall = (c: CallRecord): void => {
    const op = c.operation ?? "unknown";
    const outcome = outcomeOf(c);
    this.calls.observe(c.api, op, outcome, c.durationMs / 1000);
    if (outcome === "success") {
      if (this.perSecret && c.secretName !== undefined) this.perSecret.labels(op, c.secretName, outcome).inc();
      return;
    }
    const code = c.errorCode ?? "unknown";
    this.errors.labels(c.api, op, code).inc();
    if (outcome === "unauthenticated") this.authn.labels(c.api, code).inc();
    else if (outcome === "denied") this.authz.labels(c.api, op).inc();
    if (this.perSecret && c.secretName !== undefined) this.perSecret.labels(op, c.secretName, outcome).inc();
  };

  /** A rotation ended (RotationEngine's onRotationEvent). */
  rotationEnded(e: RotationEvent): void {
    this.rotations.labels(e.rotation.method, e.outcome).inc();
    this.rotationSeconds.labels(e.rotation.method, e.outcome).observe(e.durationMs / 1000);
  }

  /** The periodic count of rotation-enabled secrets (notifications/rotation-watch.ts). */
  setRotationGauges(g: { scheduled: number; due: number; overdue: number }): void {
    this.scheduled.set(g.scheduled);
    this.due.set(g.due);
    this.overdue.set(g.overdue);
  }

  notificationEnded(kind: string, outcome: "delivered" | "failed"): void {
    this.deliveries.labels(kind, outcome).inc();
  }

  /** The exposition in the Prometheus text format (version 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
