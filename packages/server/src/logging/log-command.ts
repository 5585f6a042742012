import { existsSync } from "node:fs";
import type { Command } from "commander";
import { configFrom, withDataDirFlags, type ServerFlags } from "../cli/common.js";
import { hashName, logHashKey, logHashKeyFile } from "./logger.js";

/**
 * `keyshift log hash-name <name-or-arn>...`: prints the keyed hash under which a secret's name
 * or ARN appears in the logs of the server of this data dir (log.hashSecretNames), one per line,
 * so that an operator can find a secret's lines. Reads the key; never creates one.
 */
export function logCommands(program: Command): void {
  const log = program.command("log").description("work with the server's logs");
  withDataDirFlags(log.command("hash-name").description("print the log hash of secret names or ARNs (log.hashSecretNames)").argument("<names...>")).action((names: string[], flags: ServerFlags) => {
    const config = configFrom(flags);
    if (!existsSync(logHashKeyFile(config.dataDir))) throw new Error(`no log hash key in ${config.dataDir}: the server has not run with log.hashSecretNames`);
    const key = logHashKey(config.dataDir);
    for (const n of names) process.stdout.write(`${hashName(key, n)}\t${n}\n`);
  });
}
