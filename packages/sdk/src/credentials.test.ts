import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { credentialsFromEnvironment } from "./credentials.js";
import { SecretsError } from "./errors.js";

const file = join(mkdtempSync(join(tmpdir(), "ks-sdk-creds-")), "credentials");
writeFileSync(file, "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = s-default\n\n[profile other]\naws_access_key_id=AKOTHER\naws_secret_access_key=s-other\naws_session_token=tok\n", { mode: 0o600 });

test("credentials: environment variables first, then the shared file's profile", async () => {
  assert.deepEqual(await credentialsFromEnvironment(undefined, { AWS_ACCESS_KEY_ID: "AKENV", AWS_SECRET_ACCESS_KEY: "s-env", AWS_SHARED_CREDENTIALS_FILE: file }), { accessKeyId: "AKENV", secretAccessKey: "s-env" });
  assert.deepEqual(await credentialsFromEnvironment(undefined, { AWS_SHARED_CREDENTIALS_FILE: file }), { accessKeyId: "AKDEFAULT", secretAccessKey: "s-default" });
  assert.deepEqual(await credentialsFromEnvironment(undefined, { AWS_SHARED_CREDENTIALS_FILE: file, AWS_PROFILE: "other", AWS_ACCESS_KEY_ID: "AKENV", AWS_SECRET_ACCESS_KEY: "s-env" }), { accessKeyId: "AKOTHER", secretAccessKey: "s-other", sessionToken: "tok" });
});

test("credentials: none found is a ConfigurationError naming the file and profile, not a secret", async () => {
  await assert.rejects(credentialsFromEnvironment("nope", { AWS_SHARED_CREDENTIALS_FILE: file }), (e: unknown) => e instanceof SecretsError && e.code === "ConfigurationError" && e.message.includes('"nope"') && !e.message.includes("s-default"));
});
