import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialChain, resolveEndpoint, resolveRegion } from "./credentials.js";

const file = (text: string) => {
  const p = join(mkdtempSync(join(tmpdir(), "agent-creds-")), "credentials");
  writeFileSync(p, text, { mode: 0o600 });
  return p;
};

test("environment keys first, unless a profile is named", () => {
  const f = file("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n[other]\naws_access_key_id = OTHER\naws_secret_access_key = o\naws_session_token = tok\n");
  assert.deepEqual(credentialChain({ env: { AWS_ACCESS_KEY_ID: "ENVKEY", AWS_SECRET_ACCESS_KEY: "envsecret", AWS_SHARED_CREDENTIALS_FILE: f } }).get(), { accessKeyId: "ENVKEY", secretAccessKey: "envsecret" });
  assert.deepEqual(credentialChain({ env: { AWS_SHARED_CREDENTIALS_FILE: f } }).get().accessKeyId, "FILEKEY");
  assert.deepEqual(credentialChain({ env: { AWS_ACCESS_KEY_ID: "ENVKEY", AWS_SECRET_ACCESS_KEY: "e", AWS_PROFILE: "other", AWS_SHARED_CREDENTIALS_FILE: f } }).get(), { accessKeyId: "OTHER", secretAccessKey: "o", sessionToken: "tok" });
  assert.throws(() => credentialChain({ env: { AWS_SHARED_CREDENTIALS_FILE: f }, profile: "missing" }), /no AWS credentials/);
});

test("credentials_file_path is re-read every 5 minutes", () => {
  const f = file("[default]\naws_access_key_id = K1\naws_secret_access_key = s1\n");
  let now = 0;
  const c = credentialChain({ env: { AWS_ACCESS_KEY_ID: "ENV", AWS_SECRET_ACCESS_KEY: "e" }, credentialsFilePath: f, now: () => now });
  assert.equal(c.get().accessKeyId, "K1");
  writeFileSync(f, "[default]\naws_access_key_id = K2\naws_secret_access_key = s2\n");
  now = 299_000;
  assert.equal(c.get().accessKeyId, "K1");
  now = 300_000;
  assert.equal(c.get().accessKeyId, "K2");
});

test("region and endpoint resolution", () => {
  assert.equal(resolveRegion(undefined, { AWS_DEFAULT_REGION: "eu-west-1" }), "eu-west-1");
  assert.equal(resolveRegion("ap-south-1", { AWS_REGION: "eu-west-1" }), "ap-south-1");
  assert.equal(resolveEndpoint(undefined, "eu-west-1", {}), "https://secretsmanager.eu-west-1.amazonaws.com");
  assert.equal(resolveEndpoint(undefined, "eu-west-1", { AWS_ENDPOINT_URL: "http://a", AWS_ENDPOINT_URL_SECRETS_MANAGER: "http://b" }), "http://b");
});
