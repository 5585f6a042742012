import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import type { Config } from "./config/schema.js";
import { Envelope } from "./crypto/envelope.js";
import { keyProviderFromConfig } from "./crypto/key-provider-from-config.js";
import { ensurePrivateDir } from "./fs/private-file.js";
import { AwsJsonDispatcher, errorResponse } from "./http/aws-json.js";
import { createEdgeServer, type EdgeRequest, type EdgeResponse } from "./http/edge.js";
import { SigV4Verifier } from "./http/sigv4/verify.js";
import { MANAGEMENT_SERVICE, ManagementApi } from "./http/management.js";
import { rotationRoutes } from "./rotation/routes.js";
import { changeRoutes, consumerRoutes } from "./changes/routes.js";
import { AccessKeyDirectory } from "./iam/access-keys.js";
import { AccountBoundaryAuthorizer } from "./iam/authorizer.js";
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
  /** Runs one scheduler pass now (tests); resolves with how many rotations it started. */
  scheduleNow(): Promise<number>;
}

export interface AppOptions {
  clock?: () => number;
  logger?: Logger;
  /** Test hook into the rotation engine (see EngineOptions.checkpoint). */
  rotationCheckpoint?: EngineOptions["checkpoint"];
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
  const logger = opts.logger ?? pino({ level: config.log.level, base: { service: "keyshift" } });
  ensurePrivateDir(config.dataDir);
  const { provider, created } = keyProviderFromConfig(config, true);
  if (created) logger.info({ keyProvider: provider.name }, "created master key");
  const feed = new ChangeFeed(clock);
  const store = withChangeFeed(await servingStoreFromConfig(config), feed, (e) => logger.error({ err: e }, "publishing a change failed"));
  const envelope = new Envelope(provider);
  const boot = await bootstrap(store, envelope, {
    dataDir: config.dataDir,
    now: clock(),
    ...(config.bootstrap.accountId ? { accountId: config.bootstrap.accountId } : {}),
    ...(config.bootstrap.accessKeyId ? { accessKeyId: config.bootstrap.accessKeyId } : {}),
    ...(config.bootstrap.secretAccessKey ? { secretAccessKey: config.bootstrap.secretAccessKey } : {}),
  });

  const access = new AccessTracker(store, 1000, (e) => logger.error({ err: e }, "recording access times failed"));
  const deps = { store, envelope, authz: new AccountBoundaryAuthorizer(), clock, access, feed } as SecretsDeps;
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
      ...(rc.pauseAt ? { checkpoint: pauseAt(rc.pauseAt, logger) } : {}),
      ...(opts.rotationCheckpoint ? { checkpoint: opts.rotationCheckpoint } : {}),
    },
    logger.child({ component: "rotation" }),
  );
  const scheduler = new RotationScheduler(deps, { intervalMs: rc.schedulerIntervalSeconds * 1000, concurrency: rc.concurrency, yieldToTraffic: rc.yieldToTraffic }, logger.child({ component: "scheduler" }));
  const keys = new AccessKeyDirectory(store, envelope, clock);
  const verifier = new SigV4Verifier<Principal>({ service: "secretsmanager", lookup: (id) => keys.peek(id), now: clock });
  const dispatcher = new AwsJsonDispatcher({
    verifier,
    keys,
    deps,
    onInternalError: (e, requestId) => logger.error({ err: e, requestId }, "internal error"),
  });
  const management = new ManagementApi({
    verifier: new SigV4Verifier<Principal>({ service: MANAGEMENT_SERVICE, lookup: (id) => keys.peek(id), now: clock }),
    keys,
    deps,
    routes: [...rotationRoutes, ...changeRoutes, ...consumerRoutes],
    onInternalError: (e, requestId) => logger.error({ err: e, requestId }, "internal error"),
  });
  const route = (req: EdgeRequest): EdgeResponse | Promise<EdgeResponse> => {
    if (req.method === "GET" && (req.url === "/health" || req.url === "/ready")) {
      return { status: 200, headers: { "Content-Type": "application/json" }, body: '{"status":"ok"}' };
    }
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
      await access.close();
      await store.close();
    })());

  return {
    config, store, deps, server, endpoint, accountId: boot.accountId, logger, close, purgeNow: purge.runNow, scheduleNow: () => scheduler.tick(),
    ...(boot.credentialsFile ? { credentialsFile: boot.credentialsFile } : {}),
  };
}
