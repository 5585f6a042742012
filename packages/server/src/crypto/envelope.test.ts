import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isServiceError } from "@keyshift/protocol";
import { tempDir } from "../testing/harness.js";
import { Envelope } from "./envelope.js";
import { envKeyProvider } from "./keyring-env.js";
import { ensureKeyringFile, fileKeyProvider, readKeyringFile, writeKeyringFile } from "./keyring-file.js";
import { newMasterKey } from "./keyring.js";

const b64 = (n: number) => Buffer.alloc(32, n).toString("base64");

async function rejectsDecryption(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (e) => isServiceError(e) && e.code === "DecryptionFailure" && !e.message.includes("secret-value-marker"));
}

test("seal/open round-trips and every seal uses a fresh data key", async () => {
  const env = new Envelope(envKeyProvider(b64(1), []));
  const a = await env.seal(Buffer.from("secret-value-marker"), "secret-value", ["acct", "uid", "v1"]);
  const b = await env.seal(Buffer.from("secret-value-marker"), "secret-value", ["acct", "uid", "v1"]);
  assert.notDeepEqual(a.ciphertext, b.ciphertext);
  assert.notDeepEqual(a.wrappedKey, b.wrappedKey);
  assert.ok(!a.ciphertext.includes(Buffer.from("secret-value-marker")));
  assert.equal((await env.open(a, "secret-value", ["acct", "uid", "v1"])).toString(), "secret-value-marker");
});

test("a ciphertext moved to another owner, purpose or row does not open", async () => {
  const env = new Envelope(envKeyProvider(b64(1), []));
  const s = await env.seal(Buffer.from("secret-value-marker"), "secret-value", ["acct", "uid", "v1"]);
  await rejectsDecryption(env.open(s, "secret-value", ["acct", "uid", "v2"]));
  await rejectsDecryption(env.open(s, "secret-value", ["other", "uid", "v1"]));
  await rejectsDecryption(env.open(s, "access-key-secret", ["acct", "uid", "v1"]));
  // Length-prefixed binding: shifting a separator does not collide.
  await rejectsDecryption(env.open(s, "secret-value", ["acctuid", "", "v1"]));
  const other = await env.seal(Buffer.from("x"), "secret-value", ["acct", "uid", "v2"]);
  await rejectsDecryption(env.open({ ...s, wrappedKey: other.wrappedKey }, "secret-value", ["acct", "uid", "v1"]));
});

test("a value opened once is not answered from memory for another binding", async () => {
  const env = new Envelope(envKeyProvider(b64(1), []));
  const s = await env.seal(Buffer.from("secret-value-marker"), "secret-value", ["acct", "uid", "v1"]);
  assert.equal((await env.open(s, "secret-value", ["acct", "uid", "v1"])).toString(), "secret-value-marker");
  await rejectsDecryption(env.open(s, "secret-value", ["acct", "uid", "v2"]));
  assert.equal((await env.open(s, "secret-value", ["acct", "uid", "v1"])).toString(), "secret-value-marker");
});

test("a flipped bit anywhere is detected", async () => {
  const env = new Envelope(envKeyProvider(b64(1), []));
  const s = await env.seal(Buffer.from("payload"), "p", ["a"]);
  for (const field of ["ciphertext", "wrappedKey"] as const) {
    for (const i of [0, 13, s[field].length - 1]) {
      const bad = Buffer.from(s[field]);
      bad[i]! ^= 1;
      await rejectsDecryption(env.open({ ...s, [field]: bad }, "p", ["a"]));
    }
  }
  await rejectsDecryption(env.open({ ...s, keyId: "mk-unknown" }, "p", ["a"]));
});

test("another master key cannot open; a previous key still can until rewrapped", async () => {
  const oldEnv = new Envelope(envKeyProvider(b64(1), []));
  const s = await oldEnv.seal(Buffer.from("v"), "p", ["a"]);
  await rejectsDecryption(new Envelope(envKeyProvider(b64(2), [])).open(s, "p", ["a"]));
  const rotated = new Envelope(envKeyProvider(b64(2), [b64(1)]));
  assert.equal((await rotated.open(s, "p", ["a"])).toString(), "v");
  const re = await rotated.rewrap(s, "p", ["a"]);
  assert.ok(re && re.keyId !== s.keyId);
  assert.deepEqual(re.ciphertext, s.ciphertext, "rewrap leaves the value ciphertext alone");
  assert.equal((await new Envelope(envKeyProvider(b64(2), [])).open(re, "p", ["a"])).toString(), "v");
  assert.equal(await rotated.rewrap(re, "p", ["a"]), undefined);
});

test("the keyring file is 0600 and a provider picks up a rotation made by another process", async () => {
  const dir = tempDir();
  const path = join(dir, "master.key");
  const old = process.umask(0o022);
  try {
    assert.equal(ensureKeyringFile(path), true);
    assert.equal(ensureKeyringFile(path), false);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
  }
  const provider = fileKeyProvider(path);
  const env = new Envelope(provider);
  const before = await env.seal(Buffer.from("v"), "p", ["a"]);
  const ring = readKeyringFile(path);
  const k = newMasterKey();
  ring.keys.set(k.id, k.key);
  writeKeyringFile(path, { active: k.id, keys: ring.keys });
  const afterSeal = await env.seal(Buffer.from("w"), "p", ["b"]);
  assert.equal(afterSeal.keyId, k.id);
  assert.notEqual(before.keyId, k.id);
  assert.equal((await env.open(before, "p", ["a"])).toString(), "v");
  rmSync(dir, { recursive: true, force: true });
});

test("env keys must be 32 bytes", () => {
  assert.throws(() => envKeyProvider(Buffer.alloc(16).toString("base64"), []), /32 bytes/);
});
