import type { Command } from "commander";
import { Envelope } from "../crypto/envelope.js";
import { keyProviderFromConfig, keyringPath } from "../crypto/key-provider-from-config.js";
import { readKeyringFile, writeKeyringFile } from "../crypto/keyring-file.js";
import { newMasterKey } from "../crypto/keyring.js";
import { rewrapAll } from "../crypto/rewrap.js";
import { storeFromConfig } from "../storage/store-from-config.js";
import { configFrom, withDataDirFlags, type ServerFlags } from "./common.js";

/**
 * `keyshift master-key rotate`: adds a new master key to the keyring file and makes it active
 * (a running server picks the change up before its next write), re-wraps every data key under
 * it, then drops the old keys. `rewrap` does the re-wrap alone (for the env provider, after
 * KEYSHIFT_MASTER_KEY was changed and the old key moved to KEYSHIFT_MASTER_KEY_PREVIOUS).
 */
export function masterKeyCommand(program: Command): void {
  const mk = program.command("master-key").description("manage the master key");
  withDataDirFlags(mk.command("rotate").description("make a new master key and re-wrap every data key under it, online")).action(async (flags: ServerFlags) => {
    const config = configFrom(flags);
    if (config.masterKey.provider !== "file") throw new Error("rotate needs the file key provider; with KEYSHIFT_MASTER_KEY, set the new key and run `keyshift master-key rewrap`");
    const path = keyringPath(config);
    const ring = readKeyringFile(path);
    const k = newMasterKey();
    ring.keys.set(k.id, k.key);
    const old = [...ring.keys.keys()].filter((id) => id !== k.id);
    writeKeyringFile(path, { active: k.id, keys: ring.keys });
    const store = await storeFromConfig(config);
    try {
      const envelope = new Envelope(keyProviderFromConfig(config, false).provider);
      const n = await rewrapAll(store, envelope, { settleMs: 2000 });
      ring.keys = new Map([[k.id, k.key]]);
      writeKeyringFile(path, { active: k.id, keys: ring.keys });
      process.stdout.write(JSON.stringify({ activeKeyId: k.id, rewrapped: n, retiredKeyIds: old }) + "\n");
    } finally {
      await store.close();
    }
  });
  withDataDirFlags(mk.command("rewrap").description("re-wrap every data key under the active master key")).action(async (flags: ServerFlags) => {
    const config = configFrom(flags);
    const store = await storeFromConfig(config);
    try {
      const envelope = new Envelope(keyProviderFromConfig(config, false).provider);
      const n = await rewrapAll(store, envelope, { settleMs: 0 });
      process.stdout.write(JSON.stringify({ activeKeyId: envelope.keys.activeKeyId(), rewrapped: n }) + "\n");
    } finally {
      await store.close();
    }
  });
}
