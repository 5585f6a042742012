import type { Command } from "commander";
import { runAgent } from "@keyshift/agent";

interface AgentFlags {
  config?: string;
  endpointUrl?: string;
  region?: string;
  profile?: string;
  port?: string;
  once?: boolean;
}

/**
 * `keyshift agent`: the caching sidecar of @keyshift/agent (the AWS Secrets Manager Agent's
 * protocol and TOML on 127.0.0.1, push invalidation from Keyshift, rendered files). Exits with
 * the agent's code: 0, or 1 when `--once` could not render every output.
 */
export function agentCommand(program: Command): void {
  program
    .command("agent")
    .description("run the caching agent (AWS Secrets Manager Agent protocol on 127.0.0.1:2773) against Keyshift or any Secrets Manager endpoint")
    .option("--config <file>", "the agent's TOML configuration (the AWS agent's keys plus Keyshift's; see packages/agent/README.md)")
    .option("--endpoint-url <url>", "the upstream (default endpoint_url, AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else AWS)")
    .option("--region <region>", "signing region (default region, AWS_REGION, AWS_DEFAULT_REGION or us-east-1)")
    .option("--profile <name>", "profile in the shared credentials file (default AWS_PROFILE or the environment's keys)")
    .option("--port <port>", "override http_port")
    .option("--once", "render the configured files once and exit (init containers)")
    .action(async (flags: AgentFlags) => {
      const port = flags.port === undefined ? undefined : Number(flags.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`--port must be an integer 0-65535, got ${flags.port}`);
      const code = await runAgent({
        ...(flags.config ? { config: flags.config } : {}),
        ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
        ...(flags.region ? { region: flags.region } : {}),
        ...(flags.profile ? { profile: flags.profile } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(flags.once ? { once: true } : {}),
      });
      process.exit(code);
    });
}
