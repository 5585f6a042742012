import { Command } from "commander";
import { accessKeysCommand } from "./cli/access-keys-command.js";
import { masterKeyCommand } from "./cli/master-key-command.js";
import { serverCommand } from "./cli/server-command.js";
import { consumerCommands, rotationCommands } from "./cli/rotation-commands.js";

const program = new Command("keyshift").description("Keyshift: a secrets manager that speaks the AWS Secrets Manager API").showHelpAfterError();
serverCommand(program);
accessKeysCommand(program);
masterKeyCommand(program);
rotationCommands(program);
consumerCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`keyshift: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
