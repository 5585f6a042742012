import { Command } from "commander";
import { accessKeysCommand } from "./cli/access-keys-command.js";
import { agentCommand } from "./cli/agent-command.js";
import { masterKeyCommand } from "./cli/master-key-command.js";
import { serverCommand } from "./cli/server-command.js";
import { consumerCommands, rotationCommands } from "./cli/rotation-commands.js";
import { iamCommands } from "./cli/iam-commands.js";
import { managementCommands } from "./management/cli.js";
import { auditCommands } from "./cli/audit-commands.js";
import { backupCommands } from "./cli/backup-commands.js";
import { logCommands } from "./logging/log-command.js";

const program = new Command("keyshift").description("Keyshift: a secrets manager that speaks the AWS Secrets Manager API").showHelpAfterError();
serverCommand(program);
accessKeysCommand(program);
masterKeyCommand(program);
rotationCommands(program);
consumerCommands(program);
agentCommand(program);
iamCommands(program);
managementCommands(program);
auditCommands(program);
backupCommands(program);
logCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`keyshift: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
