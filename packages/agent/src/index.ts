export { startAgent, type StartAgentOptions, type RunningAgent } from "./agent.js";
export { runAgent, type RunAgentFlags } from "./run-agent.js";
export { parseAgentConfig, ConfigError, type AgentConfig, DEFAULT_SSRF_HEADERS, DEFAULT_SSRF_ENV_VARIABLES } from "./config/agent-config.js";
export type { OutputConfig, TemplateOutput, EnvFileOutput, KubernetesSecretOutput } from "./config/output-config.js";
export { SecretCache, type CacheEntry, type CacheAnswer, type SecretKey } from "./cache/secret-cache.js";
export { STALE_HEADER } from "./http/agent-server.js";
export { createLogger, silentLogger, type Logger, type LogLevel } from "./log.js";
export { HttpUpstream } from "./upstream/http-upstream.js";
export { UpstreamError, type Upstream, type SecretValue, type SecretChange, type FeedEvent, type Holding } from "./upstream/upstream.js";
