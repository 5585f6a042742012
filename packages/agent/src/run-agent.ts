import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseAgentConfig } from "./config/agent-config.js";
import { startAgent } from "./agent.js";
import { createLogger } from "./log.js";

/** The flags of `keyshift agent`. */
export interface RunAgentFlags {
  /** The TOML file (the AWS agent's keys plus Keyshift's); defaults apply without one. */
  config?: string;
  endpointUrl?: string;
  profile?: string;
  region?: string;
  /** Overrides http_port. */
  port?: number;
  /** Render the outputs once and exit (init containers). */
  once?: boolean;
}

/**
 * `keyshift agent`: reads the configuration, starts the agent and runs until SIGTERM or SIGINT;
 * with `once`, renders every output and returns. Resolves with the process exit code (1 when
 * an output could not be rendered); rejects on a configuration or start-up error.
 */
export async function runAgent(flags: RunAgentFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let text = "";
  let baseDir = process.cwd();
  if (flags.config) {
    const path = resolve(flags.config);
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    baseDir = dirname(path);
  }
  const config = parseAgentConfig(text, { baseDir });
  const logger = createLogger(config.logLevel);
  const common = {
    config, env, logger,
    ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.region ? { region: flags.region } : {}),
  };
  if (flags.once) {
    if (config.outputs.length === 0) throw new Error("--once renders the outputs of the configuration, and it has none ([[template]], [[env_file]], [[kubernetes_secret]])");
    const agent = await startAgent({ ...common, once: true });
    const failed = await agent.renderAll();
    await agent.close();
    return failed > 0 ? 1 : 0;
  }
  const agent = await startAgent({ ...common, ...(flags.port !== undefined ? { port: flags.port } : {}) });
  process.stdout.write(`Keyshift agent listening on http://127.0.0.1:${agent.port} (upstream ${agent.endpoint})\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      done();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  await agent.close();
  return 0;
}
