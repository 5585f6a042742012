import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { SecretCache } from "./cache/secret-cache.js";
import type { AgentConfig } from "./config/agent-config.js";
import { ConsumerReporter } from "./feed/consumer-reporter.js";
import { startAgentServer, type AgentServer } from "./http/agent-server.js";
import { resolveSsrfToken } from "./http/ssrf-token.js";
import { createLogger, rotatingFileSink, type Logger } from "./log.js";
import { OutputManager } from "./outputs/output-manager.js";
import { credentialChain, resolveEndpoint, resolveRegion } from "./upstream/credentials.js";
import { HttpUpstream } from "./upstream/http-upstream.js";
import { UpstreamError, type FeedState, type Subscription, type Upstream } from "./upstream/upstream.js";

export interface StartAgentOptions {
  config: AgentConfig;
  /** Where the token, credentials, region and endpoint variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** `--endpoint-url`: wins over the config's endpoint_url and the environment. */
  endpointUrl?: string;
  /** `--profile`: a profile of the shared credentials file. */
  profile?: string;
  /** `--region`. */
  region?: string;
  /** Overrides http_port (0: any free port). */
  port?: number;
  /** Render the outputs once and stop: no HTTP server, no feed, no commands, no token needed. */
  once?: boolean;
  logger?: Logger;
  /** An upstream other than HTTP (tests). */
  upstream?: Upstream;
  /** Consumer report period (ms, at most 60 s). */
  reportIntervalMs?: number;
  /** Feed reconnect delays (ms). */
  feedRetryMinMs?: number;
  feedRetryMaxMs?: number;
  /** Upstream call timeout (ms, default 30 s). */
  timeoutMs?: number;
}

export interface RunningAgent {
  /** The HTTP port (0 with `once`). */
  port: number;
  endpoint: string;
  cache: SecretCache;
  /** Whether the change feed is connected now. */
  feedUp(): boolean;
  /** Renders every output now; resolves with the number that failed. */
  renderAll(): Promise<number>;
  close(): Promise<void>;
}

const AUTH_ERRORS = new Set(["UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken", "MissingAuthenticationTokenException", "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch"]);

function consumerId(): string {
  return `agent-${hostname().replace(/[^A-Za-z0-9._:-]/g, "-").slice(0, 80)}-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * The credentials check of validate_credentials: a DescribeSecret of a name nobody uses. Not
 * found or access denied proves the signature was accepted; an authentication error stops the
 * agent; an unreachable upstream is only logged (it may come up later).
 */
async function validateCredentials(upstream: Upstream, logger: Logger): Promise<void> {
  try {
    await upstream.describeSecret(`keyshift-agent-credentials-check-${randomBytes(6).toString("hex")}`);
  } catch (e) {
    if (e instanceof UpstreamError && e.kind === "service" && AUTH_ERRORS.has(e.code)) throw new Error(`the upstream rejected the agent's credentials: ${e.code}`);
    if (e instanceof UpstreamError && e.kind !== "service") logger.warn("cannot check the credentials: the upstream is unavailable", { error: e.message });
  }
}

/**
 * Starts the agent: the cache in front of the upstream, the AWS-agent HTTP interface on
 * 127.0.0.1, the change feed (Keyshift), consumer reporting and the rendered outputs.
 * Rejects on a configuration problem (no SSRF token, no credentials, port in use, bad template).
 */
export async function startAgent(o: StartAgentOptions): Promise<RunningAgent> {
  const c = o.config;
  const env = o.env ?? process.env;
  const logger = o.logger ?? createLogger(c.logLevel, c.logToFile ? rotatingFileSink("logs/secrets_manager_agent.log") : undefined);
  const token = o.once ? "" : resolveSsrfToken(c.ssrfEnvVariables, env);
  const region = resolveRegion(o.region ?? c.region, env);
  const endpoint = resolveEndpoint(o.endpointUrl ?? c.endpointUrl, region, env);
  const id = consumerId();
  const http = o.upstream
    ? undefined
    : new HttpUpstream({
        endpoint, region, logger, consumerId: id, consumerName: c.consumerName ?? hostname(),
        credentials: credentialChain({ env, ...(o.profile ? { profile: o.profile } : {}), ...(c.credentialsFilePath ? { credentialsFilePath: c.credentialsFilePath } : {}) }),
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.feedRetryMinMs ? { retryMinMs: o.feedRetryMinMs } : {}),
        ...(o.feedRetryMaxMs ? { retryMaxMs: o.feedRetryMaxMs } : {}),
      });
  const upstream: Upstream = o.upstream ?? http!;
  let outputs: OutputManager | undefined;
  let reporter: ConsumerReporter | undefined;
  const cache = new SecretCache({
    upstream, logger, ttlMs: c.ttlSeconds * 1000, size: c.cacheSize, maxStaleMs: c.maxStaleSeconds * 1000, ignoreTransientErrors: c.ignoreTransientErrors,
    onChange: (e) => {
      outputs?.secretChanged(e.key);
      reporter?.changed();
    },
  });
  outputs = new OutputManager(c.outputs, (ref) => cache.get({ secretId: ref.secretId, ...(ref.versionId ? { versionId: ref.versionId } : {}), ...(ref.versionStage ? { versionStage: ref.versionStage } : {}) }).then((a) => a.entry.value), logger, !o.once);
  if (c.validateCredentials) await validateCredentials(upstream, logger);

  if (o.once) {
    return { port: 0, endpoint, cache, feedUp: () => false, renderAll: () => outputs!.renderAll(), close: async () => http?.close() };
  }

  let server: AgentServer | undefined;
  let feed: Subscription | undefined;
  let up = false;
  let renderTimer: NodeJS.Timeout | undefined;
  try {
    server = await startAgentServer({ cache, token, ssrfHeaders: c.ssrfHeaders, pathPrefix: c.pathPrefix, maxConn: c.maxConn, port: o.port ?? c.httpPort, logger });
  } catch (e) {
    http?.close();
    throw new Error(`cannot listen on 127.0.0.1:${o.port ?? c.httpPort}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (c.feed) {
    feed = upstream.subscribe(
      (ev) => {
        if (ev.kind === "reset") cache.revalidateAll();
        else cache.applyChange(ev.change);
      },
      (s: FeedState) => {
        up = s.up;
        if (s.up) logger.info("change feed connected", { endpoint });
        else logger.warn("change feed unavailable; cached values expire by ttl_seconds", { reason: s.reason });
      },
    );
    reporter = new ConsumerReporter({ holdings: () => cache.holdings(), send: (h) => upstream.report(h), logger, ...(o.reportIntervalMs ? { intervalMs: o.reportIntervalMs } : {}) });
    reporter.start();
  }
  if (outputs.count > 0) {
    await outputs.renderAll();
    // Without the feed (or when it is down) this is what notices changes: expired entries revalidate here.
    renderTimer = setInterval(() => void outputs!.renderAll(), Math.max(1, Math.min(c.ttlSeconds || 60, 60)) * 1000);
  }
  logger.info("agent listening", { address: `127.0.0.1:${server.port}`, upstream: endpoint, region, ttl_seconds: c.ttlSeconds, feed: c.feed, outputs: outputs.count });
  return {
    port: server.port,
    endpoint,
    cache,
    feedUp: () => up,
    renderAll: () => outputs!.renderAll(),
    close: async () => {
      clearInterval(renderTimer);
      feed?.close();
      await reporter?.close();
      await server!.close();
      await outputs!.close();
      http?.close();
    },
  };
}
