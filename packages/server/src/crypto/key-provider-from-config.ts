import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { envKeyProvider } from "./keyring-env.js";
import { ensureKeyringFile, fileKeyProvider } from "./keyring-file.js";
import type { KeyringProvider } from "./keyring.js";

export function keyringPath(config: Config): string {
  return config.masterKey.file ?? join(config.dataDir, "master.key");
}

/** The configured master-key provider; the file provider creates its 0600 keyring on first use when `create` is set. */
export function keyProviderFromConfig(config: Config, create: boolean): { provider: KeyringProvider; created: boolean } {
  if (config.masterKey.provider === "env") {
    if (!config.masterKey.key) throw new Error("masterKey.provider is env but KEYSHIFT_MASTER_KEY is not set");
    return { provider: envKeyProvider(config.masterKey.key, config.masterKey.previousKeys), created: false };
  }
  const path = keyringPath(config);
  const created = create ? ensureKeyringFile(path) : false;
  return { provider: fileKeyProvider(path), created };
}
