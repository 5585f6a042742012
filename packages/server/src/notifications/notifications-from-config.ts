import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { ensurePrivateDir } from "../fs/private-file.js";
import type { CallObserver } from "../http/call-record.js";
import type { ManagementRoute } from "../http/management.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RotationEvent } from "../rotation/engine.js";
import type { Store } from "../storage/store.js";
import { notificationCallObserver, notifyRotationEvent } from "./call-events.js";
import { DeliveryLog } from "./delivery-log.js";
import { DeniedBurstDetector } from "./denied-burst.js";
import { Notifier } from "./notifier.js";
import { RotationWatch } from "./rotation-watch.js";
import { notificationRoutes } from "./routes.js";
import { WebhookDirectory } from "./webhooks.js";

export interface Notifications {
  notifier: Notifier;
  /** Management routes under /v1/notifications. */
  routes: ManagementRoute[];
  /** SecretDeleted and AccessDeniedBurst from the calls. */
  callObserver: CallObserver;
  /** RotationSucceeded / RotationFailed (and the rotation metrics, when on). */
  onRotationEvent: (e: RotationEvent) => void;
  /** The periodic rotation watch (RotationOverdue, the due/overdue gauges). */
  watch: RotationWatch;
  start(): void;
  close(): Promise<void>;
}

/**
 * Notifications as configured: webhooks of the config file and of the management API
 * (dataDir/notifications/webhooks.json), the delivery log (dataDir/notifications/deliveries.jsonl),
 * and the event sources (calls, rotation engine, rotation watch).
 */
export function notificationsFromConfig(config: Config, o: { store: Store; clock: () => number; logger: Logger; metrics?: Metrics | undefined }): Notifications {
  const nc = config.notifications;
  const dir = join(config.dataDir, "notifications");
  ensurePrivateDir(dir);
  const metrics = o.metrics;
  const webhooks = new WebhookDirectory(nc.webhooks, join(dir, "webhooks.json"));
  const deliveries = new DeliveryLog(join(dir, "deliveries.jsonl"));
  const notifier = new Notifier(webhooks, deliveries, {
    maxAttempts: nc.maxAttempts,
    retryBaseMs: nc.retryBaseSeconds * 1000,
    retryMaxMs: nc.retryMaxSeconds * 1000,
    timeoutMs: nc.timeoutSeconds * 1000,
    clock: o.clock,
    log: o.logger,
    ...(metrics ? { onDeliveryEnded: (kind, outcome) => metrics.notificationEnded(kind, outcome) } : {}),
  });
  const burst = new DeniedBurstDetector(nc.accessDeniedBurst.threshold, nc.accessDeniedBurst.windowSeconds * 1000, o.clock, (p, count, op) =>
    notifier.emit({ type: "AccessDeniedBurst", accountId: p.accountId, principalArn: p.arn, detail: { denials: count, windowSeconds: nc.accessDeniedBurst.windowSeconds, ...(op ? { lastOperation: op } : {}) } }),
  );
  const intervalMs = Math.min(nc.overdueCheckSeconds, metrics ? config.metrics.gaugeIntervalSeconds : Infinity) * 1000;
  const watch = new RotationWatch(
    o.store,
    o.clock,
    { intervalMs, limit: 10_000 },
    {
      ...(metrics ? { counts: (c) => metrics.setRotationGauges(c) } : {}),
      overdue: (s, end) =>
        notifier.emit({
          type: "RotationOverdue", accountId: s.accountId, secretArn: s.arn, secretName: s.name,
          detail: { windowStart: new Date(s.nextRotationAt ?? s.rotationDueAt ?? end).toISOString(), windowEnd: new Date(end).toISOString(), failures: s.rotationFailures ?? 0 },
        }),
    },
    o.logger,
  );
  return {
    notifier,
    routes: notificationRoutes({ webhooks, deliveries }),
    callObserver: notificationCallObserver(notifier, burst),
    onRotationEvent: (e) => {
      metrics?.rotationEnded(e);
      notifyRotationEvent(notifier, e);
    },
    watch,
    start: () => watch.start(),
    close: async () => {
      watch.stop();
      await notifier.close();
    },
  };
}
