import { existsSync } from "node:fs";
import type { Command } from "commander";
import { startApp } from "../app.js";
import { credentialsPath } from "../iam/bootstrap.js";
import { configFrom, withDataDirFlags, type ServerFlags } from "./common.js";

export function serverCommand(program: Command): void {
  withDataDirFlags(program.command("server").description("run the Keyshift server"))
    .option("--host <host>", "address to listen on (default 127.0.0.1; also KEYSHIFT_HOST)")
    .option("--port <port>", "port to listen on (default 8400; also KEYSHIFT_PORT)")
    .action(async (flags: ServerFlags) => {
      process.umask(0o077);
      const app = await startApp(configFrom(flags));
      const creds = credentialsPath(app.config.dataDir);
      const lines = [
        `Keyshift listening on ${app.endpoint} (account ${app.accountId}, store ${app.store.kind}, data dir ${app.config.dataDir})`,
        existsSync(creds) ? `Credentials: ${creds}` : "Credentials: the bootstrap key from the environment",
        existsSync(creds) ? `Try: AWS_SHARED_CREDENTIALS_FILE=${creds} aws --endpoint-url ${app.endpoint} secretsmanager list-secrets --region us-east-1` : "",
      ];
      process.stdout.write(lines.filter(Boolean).join("\n") + "\n");
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        app.logger.info({ signal }, "shutting down");
        app.close().then(
          () => process.exit(0),
          (e) => {
            app.logger.error({ err: e }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    });
}
