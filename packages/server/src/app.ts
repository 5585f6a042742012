import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DestinationStream, Logger } from "pino";
import type { Config } from "./config/schema.js";
import { Envelope } from "./crypto/envelope.js";
import { keyProviderFromConfig } from "./crypto/key-provider-from-config.js";
import { ensurePrivateDir } from "./fs/private-file.js";
import { AwsJsonDispatcher, errorResponse } from "./http/aws-json.js";
import { observeAll, type CallObserver } from "./http/call-record.js";
import { createEdgeServer, type EdgeRequest, type EdgeResponse } from "./http/edge.js";
import { SigV4Verifier } from "./http/sigv4/verify.js";
import { MANAGEMENT_SERVICE, ManagementApi } from "./http/management.js";
import { rotationRoutes } from "./rotation/routes.js";
import { changeRoutes, consumerRoutes } from "./changes/routes.js";
import { iamRoutes } from "./iam/routes.js";
import { auditFromConfig, type AuditTrail } from "./audit/audit-from-config.js";
import { auditRoutes } from "./audit/routes.js";
import { AccessKeyDirectory } from "./iam/access-keys.js";
import type { Authorizer } from "./iam/authorizer.js";
import { PolicyAuthorizer } from "./iam/policy-authorizer.js";
import { bootstrap } from "./iam/bootstrap.js";
import type { Principal } from "./iam/principal.js";
import { startPurgeJob } from "./lifecycle/purge.js";
import { AccessTracker } from "./secrets/access-tracker.js";
import { RotationEngine, type EngineOptions } from "./rotation/engine.js";
import { RotatorRegistry } from "./rotation/registry.js";
import { RotationScheduler } from "./rotation/scheduler.js";
import type { SecretsDeps } from "./secrets/context.js";
import { servingStoreFromConfig } from "./storage/store-from-config.js";
import { ChangeFeed } from "./changes/change-feed.js";
import { withChangeFeed } from "./changes/notifying-store.js";
import type { Store } from "./storage/store.js";
import { createLogger } from "./logging/logger.js";
import { requestLogObserver } from "./logging/request-log.js";
import { metricsFromConfig } from "./metrics/metrics-from-config.js";
import type { Metrics } from "./metrics/metrics.js";
import { notifyEmergencyRotation } from "./notifications/call-events.js";
import { notificationsFromConfig } from "./notifications/notifications-from-config.js";
import type { Notifier } from "./notifications/notifier.js";
import { managementRoutes, type ManagementEvent } from "./management/routes.js";
import { TokenDirectory } from "./management/tokens.js";
import { openApiDocument } from "./management/openapi.js";
import { health, ready } from "./management/health.js";

export interface App {
  config: Config;
  store: Store;
  deps: SecretsDeps;
  server: Server;
  /** http://host:port the server listens on. */
  endpoint: string;
  accountId: string;
  /** Path of the credentials file written at first start, if this start wrote it. */
  credentialsFile?: string;
  logger: Logger;
  /** Stops accepting requests, lets in-flight ones finish (up to `graceMs`), stops jobs, closes the store. */
  close(graceMs?: number): Promise<void>;
  purgeNow(): Promise<void>;
  /** The audit trail, when audit is on. */
  audit?: AuditTrail | undefined;
  /** Runs one scheduler pass now (tests); resolves with how many rotations it started. */
  scheduleNow(): Promise<number>;
  /** Listeners of management API events (EmergencyRotation): notifications attach here; each must not throw or block. */
  managementEvents: ((e: ManagementEvent) => void)[];
  /** Prometheus metrics (when metrics.enabled); the audit log reports into `metrics.auditWriteLatency` / `auditQueueDepth`. */
  metrics?: Metrics | undefined;
  /** Notifications: `notifier.emit(event)`; `notifier.idle()` in tests. */
  notifier: Notifier;
  /** Runs one rotation-watch pass now (tests): the due/overdue gauges and RotationOverdue. */
  watchRotationsNow(): Promise<{ scheduled: number; due: number; overdue: number }>;
}

export interface AppOptions {
  clock?: () => number;
  logger?: Logger;
  /** Test hook into the rotation engine (see EngineOptions.checkpoint). */
  rotationCheckpoint?: EngineOptions["checkpoint"];
  /** Where the app's own logger (config.log) writes instead of stdout; ignored when `logger` is given. */
  logDestination?: DestinationStream;
}

/** The crash-test hook: a rotation reaching `where` logs it and never goes on. */
function pauseAt(where: string, logger: Logger): NonNullable<EngineOptions["checkpoint"]> {
  return async (at, r) => {
    if (at !== where) return;
    logger.warn({ rotationId: r.id, secretArn: r.secretArn, at }, "rotation paused (rotation.pauseAt)");
    process.stdout.write(`rotation paused at ${at} ${r.id}\n`);
    await new Promise(() => undefined);
  };
}

/**
 * The composition root: builds every component from the configuration, wires them together
 * and starts listening. Nothing else constructs components.
 */
export async function startApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const clock = opts.clock ?? Date.now;
  const logger = opts.logger ?? createLogger(config, opts.logDestination);
  ensurePrivateDir(config.dataDir);
  const { provider, created } = keyProviderFromConfig(config, true);
  if (created) logger.info({ keyProvider: provider.name }, "created master key");
  const feed = new ChangeFeed(clock);
  // Several nodes (PostgreSQL store): the feed is numbered database-wide and the cache follows other nodes' commits.
  const storeErrors = (e: Error) => logger.warn({ err: e }, "store connection problem");
  const store = withChangeFeed(await servingStoreFromConfig(config, feed, storeErrors), feed, (e) => logger.error({ err: e }, "publishing a change failed"));
  const envelope = new Envelope(provider);
  const runBootstrap = () => bootstrap(store, envelope, {
    dataDir: config.dataDir,
    now: clock(),
    ...(config.bootstrap.accountId ? { accountId: config.bootstrap.accountId } : {}),
    ...(config.bootstrap.accessKeyId ? { accessKeyId: config.bootstrap.accessKeyId } : {}),
    ...(config.bootstrap.secretAccessKey ? { secretAccessKey: config.bootstrap.secretAccessKey } : {}),
  });
  // Several nodes starting at once on one database (PostgreSQL) bootstrap one after another; a node
  // that just made itself a new master key must not join a database whose keys another one wrapped.
  const joinCluster = async () => {
    if (created && store.exclusive && (await store.listWrappedKeysNotUnder(provider.activeKeyId(), 1)).length > 0) {
      throw new Error("this node created a new master key, but the database holds data keys wrapped under another one: give every node the same master key (KEYSHIFT_MASTER_KEY or a copy of the keyring file)");
    }
    return runBootstrap();
  };
  const boot = await (store.exclusive ? store.exclusive("bootstrap", joinCluster) : runBootstrap());

  // Observability: metrics, notifications (docs/observability.md).
  const metricsOn = metricsFromConfig(config, store);
  const notifications = notificationsFromConfig(config, { store, clock, logger: logger.child({ component: "notifications" }), metrics: metricsOn?.metrics });
  const access = new AccessTracker(store, 1000, (e) => logger.error({ err: e }, "recording access times failed"));
  const authz: Authorizer = new PolicyAuthorizer(clock);
  const deps = { store, envelope, authz, clock, access, feed } as SecretsDeps;
  const rc = config.rotation;
  deps.rotation = new RotationEngine(
    deps,
    new RotatorRegistry(store),
    {
      nodeId: rc.nodeId,
      stepTimeoutMs: rc.stepTimeoutSeconds * 1000,
      leaseMs: rc.leaseSeconds * 1000,
      maxAttempts: rc.maxAttempts,
      retryBaseMs: rc.retryBaseSeconds * 1000,
      retryMaxMs: rc.retryMaxSeconds * 1000,
      onRotationEvent: notifications.onRotationEvent,
      ...(rc.pauseAt ? { checkpoint: pauseAt(rc.pauseAt, logger) } : {}),
      ...(opts.rotationCheckpoint ? { checkpoint: opts.rotationCheckpoint } : {}),
    },
    logger.child({ component: "rotation" }),
  );
  const scheduler = new RotationScheduler(deps, { intervalMs: rc.schedulerIntervalSeconds * 1000, concurrency: rc.concurrency, yieldToTraffic: rc.yieldToTraffic }, logger.child({ component: "scheduler" }));
  const keys = new AccessKeyDirectory(store, envelope, clock);
  const verifier = new SigV4Verifier<Principal>({ service: "secretsmanager", lookup: (id) => keys.peek(id), now: clock });
  /** Everything that sees each call before its answer leaves: audit (awaited when fail-closed), metrics. */
  const callObservers: CallObserver[] = [];
  // Observability: metrics, notifications, request log lines (synchronous observers).
  if (metricsOn) callObservers.push(metricsOn.metrics.observeCall);
  callObservers.push(notifications.callObserver, requestLogObserver(logger));
  // Audit trail (docs/audit.md): every call recorded, chained; fail-closed holds the answer until the record is durable.
  const audit = await auditFromConfig(config, store, { clock, onError: (e, what) => logger.error({ err: e }, what), accountOfKey: (id) => keys.peek(id)?.principal.accountId, ...(metricsOn ? { metrics: metricsOn.metrics } : {}) });
  if (audit) callObservers.push(audit.log.observe);
  const dispatcher = new AwsJsonDispatcher({
    verifier,
    keys,
    deps,
    onInternalError: (e, requestId) => logger.error({ err: e, requestId }, "internal error"),
    observe: observeAll(callObservers),
  });
  // Management API (docs/management-api.md): bearer tokens, rotation management routes, events, OpenAPI document.
  const tokens = new TokenDirectory(store, clock);
  const managementEvents: ((e: ManagementEvent) => void)[] = [];
  managementEvents.push((e) => notifyEmergencyRotation(notifications.notifier, e));
  const onManagementEvent = (e: ManagementEvent) => {
    for (const l of managementEvents) l(e);
  };
  let openApi: Record<string, unknown> | undefined;
  const management = new ManagementApi({
    verifier: new SigV4Verifier<Principal>({ service: MANAGEMENT_SERVICE, lookup: (id) => keys.peek(id), now: clock }),
    keys,
    deps,
    routes: [...rotationRoutes, ...changeRoutes, ...consumerRoutes, ...notifications.routes, ...iamRoutes(() => (keys.forgetAll(), tokens.forgetAll())), ...auditRoutes, ...managementRoutes({ tokens, onEvent: onManagementEvent })],
    bearer: tokens,
    openApi: (): unknown => (openApi ??= openApiDocument(management.routeList)),
    onInternalError: (e, requestId) => logger.error({ err: e, requestId }, "internal error"),
    observe: observeAll(callObservers),
  });
  const route = (req: EdgeRequest): EdgeResponse | Promise<EdgeResponse> => {
    if (metricsOn && req.method === "GET" && req.url === "/metrics") return metricsOn.endpoint(req);
    if (req.method === "GET" && req.url === "/health") return health();
    if (req.method === "GET" && req.url === "/ready") return ready(store);
    if (ManagementApi.handles(req.url)) return management.handle(req);
    return dispatcher.handle(req);
  };
  const server = createEdgeServer({
    maxBodyBytes: config.limits.maxBodyBytes,
    requestTimeoutMs: config.limits.requestTimeoutMs,
    handler: route,
    errorResponse: (e) => errorResponse(e),
    onError: (e) => logger.error({ err: e }, "edge error"),
  });
  const purge = startPurgeJob({
    store,
    clock,
    intervalMs: config.purgeIntervalSeconds * 1000,
    onPurged: (arn) => logger.info({ arn }, "purged secret after its recovery window"),
    onError: (e) => logger.error({ err: e }, "purge failed"),
  });

  scheduler.start();
  notifications.start();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const endpoint = `http://${host}:${addr.port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      purge.stop();
      scheduler.stop();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await deps.rotation.close(graceMs);
      await notifications.close();
      await audit?.close();
      await access.close();
      await store.close();
    })());

  return {
    config, store, deps, server, endpoint, accountId: boot.accountId, logger, close, purgeNow: purge.runNow, scheduleNow: () => scheduler.tick(),
    managementEvents,
    metrics: metricsOn?.metrics, notifier: notifications.notifier, watchRotationsNow: () => notifications.watch.check(),
    ...(boot.credentialsFile ? { credentialsFile: boot.credentialsFile } : {}),
    audit,
  };
}
