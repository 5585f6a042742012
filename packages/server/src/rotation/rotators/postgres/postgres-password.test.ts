/** The PostgreSQL password literals (hashed on our side when the server would hash anyway). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { alterRolePasswordSql, createRoleSql, md5Hash, passwordMethod, scramVerifier } from "./password.js";

test("postgres: SCRAM-SHA-256 verifier as PostgreSQL stores it (checked against Python's hashlib)", async () => {
  assert.equal(
    await scramVerifier("pencil", Buffer.from([...Array(16).keys()])),
    "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$zHCdol2044/ZyWzPLi7oxApCkamKw9Z+E4U/QApd/5Y=:dd5peBOitVnLNFu7VmwP+HiDaaw4OUCv396eVCWhYiE=",
  );
  // A fresh random salt every time.
  assert.notEqual(await scramVerifier("pencil"), await scramVerifier("pencil"));
  assert.equal(md5Hash("secret", "alice"), "md54a0a68b43b6cd5cf266fa02f196e2371");
});

test("postgres: the method follows password_encryption; non-ASCII passwords go as they are (the server applies SASLprep)", () => {
  assert.equal(passwordMethod("scram-sha-256", `a'b"c\\ d`), "scram-sha-256");
  assert.equal(passwordMethod("md5", "abc"), "md5");
  assert.equal(passwordMethod(undefined, "abc"), "plain");
  assert.equal(passwordMethod("scram-sha-256", "pässwörd"), "plain");
  assert.equal(passwordMethod("scram-sha-256", "tab\there"), "plain");
});

test("postgres: identifiers and literals are escaped", async () => {
  assert.equal(await alterRolePasswordSql(`we"ird`, `it's \\ here`, "plain"), `ALTER ROLE "we""ird" WITH PASSWORD  E'it''s \\\\ here'`);
  assert.match(await createRoleSql("App", "x", "scram-sha-256"), /^CREATE ROLE "App" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[^']+'$/);
  assert.equal(await alterRolePasswordSql("a", "secret", "md5"), `ALTER ROLE "a" WITH PASSWORD 'md5${md5Hash("secret", "a").slice(3)}'`);
});
