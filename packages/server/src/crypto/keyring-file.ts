import { readFileSync, existsSync } from "node:fs";
import { KeyringProvider, newMasterKey, type Keyring } from "./keyring.js";
import { fileStamp, writePrivateFile } from "../fs/private-file.js";

interface KeyringFile {
  format: "keyshift-keyring/v1";
  active: string;
  keys: { id: string; created: string; key: string }[];
}

export function readKeyringFile(path: string): Keyring {
  const f = JSON.parse(readFileSync(path, "utf8")) as KeyringFile;
  if (f.format !== "keyshift-keyring/v1" || !Array.isArray(f.keys)) throw new Error(`${path} is not a Keyshift keyring`);
  const keys = new Map<string, Buffer>();
  for (const k of f.keys) {
    const b = Buffer.from(k.key, "base64");
    if (b.length !== 32) throw new Error(`${path}: key ${k.id} is not 32 bytes`);
    keys.set(k.id, b);
  }
  return { active: f.active, keys };
}

export function writeKeyringFile(path: string, ring: Keyring, created: Map<string, string> = new Map()): void {
  const file: KeyringFile = {
    format: "keyshift-keyring/v1",
    active: ring.active,
    keys: [...ring.keys].map(([id, key]) => ({ id, created: created.get(id) ?? new Date().toISOString(), key: key.toString("base64") })),
  };
  writePrivateFile(path, JSON.stringify(file, null, 2) + "\n");
}

/** Creates the keyring file with one fresh key if it does not exist; returns whether it did. */
export function ensureKeyringFile(path: string): boolean {
  if (existsSync(path)) return false;
  const k = newMasterKey();
  writeKeyringFile(path, { active: k.id, keys: new Map([[k.id, k.key]]) });
  return true;
}

/** KeyProvider backed by the keyring file; re-reads it whenever its inode, size or mtime change. */
export function fileKeyProvider(path: string): KeyringProvider {
  let stamp = fileStamp(path);
  return new KeyringProvider(
    "file",
    () => readKeyringFile(path),
    () => {
      const now = fileStamp(path);
      if (now === stamp || now === undefined) return undefined;
      stamp = now;
      return readKeyringFile(path);
    },
  );
}
