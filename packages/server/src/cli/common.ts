import type { Command } from "commander";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";

export interface ServerFlags {
  config?: string;
  dataDir?: string;
  host?: string;
  port?: string;
  store?: string;
}

/** The flags every command that opens the data dir shares. */
export function withDataDirFlags(cmd: Command): Command {
  return cmd
    .option("--config <file>", "TOML config file (also KEYSHIFT_CONFIG)")
    .option("--data-dir <dir>", "data directory (also KEYSHIFT_DATA_DIR)")
    .option("--store <url>", "store: sqlite (default) or a postgres:// URL (also KEYSHIFT_STORE)");
}

export function configFrom(flags: ServerFlags): Config {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new Error(`--port must be an integer 0-65535, got ${flags.port}`);
  return loadConfig({
    ...(flags.config ? { file: flags.config } : {}),
    flags: {
      ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
      ...(flags.host ? { host: flags.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(flags.store ? { store: flags.store } : {}),
    },
  });
}
