import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_KEY_ID, TEST_REGION, TEST_SECRET, runProcess, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

let srv: TestServer;
const dir = tempDir("keyshift-iam-cli-");
const adminEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION });

async function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runProcess(process.execPath, [CLI, "iam", ...args, "--endpoint-url", srv.endpoint], env, 30_000);
}

async function ok(...args: string[]): Promise<string> {
  const r = await cli(adminEnv(), ...args);
  assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  srv = await startTestServer();
});
after(async () => srv?.close());

test("keyshift iam: an account, a user, a key and a policy, enforced at once", async () => {
  const account = (await ok("create-account", "--name", "payments")).trim();
  assert.match(account, /^\d{12}$/);
  const accounts = JSON.parse(await ok("list-accounts")) as { Accounts: { AccountId: string; Name: string }[] };
  assert.ok(accounts.Accounts.some((a) => a.AccountId === account && a.Name === "payments"));

  // An administrator of the new account, who then works inside it on its own.
  await ok("create-user", "--account", account, "--user", "boss", "--admin");
  const bossKey = JSON.parse(await ok("create-access-key", "--account", account, "--user", "boss")) as { AccessKeyId: string; SecretAccessKey: string };
  assert.deepEqual(Object.keys(bossKey).sort(), ["AccessKeyId", "SecretAccessKey"]);
  const bossEnv = { ...adminEnv(), AWS_ACCESS_KEY_ID: bossKey.AccessKeyId, AWS_SECRET_ACCESS_KEY: bossKey.SecretAccessKey };
  const boss = smClient(srv.endpoint, { key: bossKey.AccessKeyId, secret: bossKey.SecretAccessKey });
  await boss.send(new CreateSecretCommand({ Name: "/prod/billing/db", SecretString: "billing" }));
  await boss.send(new CreateSecretCommand({ Name: "/prod/ledger/db", SecretString: "ledger" }));

  const mk = await cli(bossEnv, "create-user", "--user", "billing", "--tag", "team=billing");
  assert.equal(mk.code, 0, mk.stderr);
  const key = JSON.parse((await cli(bossEnv, "create-access-key", "--user", "billing")).stdout) as { AccessKeyId: string; SecretAccessKey: string };
  const billing = smClient(srv.endpoint, { key: key.AccessKeyId, secret: key.SecretAccessKey });
  await assert.rejects(billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" })), { name: "AccessDeniedException" }, "no policy yet");

  const policyFile = join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:*:${account}:secret:/prod/\${aws:username}/*` }],
  }));
  const put = await cli(bossEnv, "put-user-policy", "--user", "billing", "--policy-name", "read-own", "--policy-document", `file://${policyFile}`);
  assert.equal(put.code, 0, put.stderr);
  assert.equal((await billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" }))).SecretString, "billing");
  await assert.rejects(billing.send(new GetSecretValueCommand({ SecretId: "/prod/ledger/db" })), { name: "AccessDeniedException" });

  assert.deepEqual(JSON.parse((await cli(bossEnv, "list-user-policies", "--user", "billing")).stdout), { PolicyNames: ["read-own"] });
  const got = JSON.parse((await cli(bossEnv, "get-user-policy", "--user", "billing", "--policy-name", "read-own")).stdout) as { PolicyDocument: string };
  assert.match(got.PolicyDocument, /aws:username/);
  const users = JSON.parse((await cli(bossEnv, "list-users")).stdout) as { Users: { UserName: string; Admin: boolean; Tags: Record<string, string> }[] };
  assert.deepEqual(users.Users.map((u) => [u.UserName, u.Admin, u.Tags]).sort(), [["billing", false, { team: "billing" }], ["boss", true, {}]]);

  // A malformed policy is refused with a message that points at the problem, and nothing is stored.
  const bad = await cli(bossEnv, "put-user-policy", "--user", "billing", "--policy-name", "bad", "--policy-document", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}]}');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /MalformedPolicyDocumentException: .*StringEqualz/);
  assert.deepEqual(JSON.parse((await cli(bossEnv, "list-user-policies", "--user", "billing")).stdout), { PolicyNames: ["read-own"] });

  // Keys: listed without secrets, deactivated, deleted.
  const keys = JSON.parse((await cli(bossEnv, "list-access-keys", "--user", "billing")).stdout) as { AccessKeys: { AccessKeyId: string; Status: string; LastUsedDate?: number }[] };
  assert.deepEqual(keys.AccessKeys.map((k) => [k.AccessKeyId, k.Status]), [[key.AccessKeyId, "Active"]]);
  assert.ok(!JSON.stringify(keys).includes(key.SecretAccessKey));
  assert.equal((await cli(bossEnv, "update-access-key", "--user", "billing", "--access-key-id", key.AccessKeyId, "--status", "Inactive")).code, 0);
  await assert.rejects(billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" })), { name: "UnrecognizedClientException" });
  assert.equal((await cli(bossEnv, "update-access-key", "--user", "billing", "--access-key-id", key.AccessKeyId, "--status", "Active")).code, 0);
  assert.equal((await billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" }))).SecretString, "billing");
  assert.equal((await cli(bossEnv, "delete-user-policy", "--user", "billing", "--policy-name", "read-own")).code, 0);
  await assert.rejects(billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" })), { name: "AccessDeniedException" });
  assert.equal((await cli(bossEnv, "delete-access-key", "--user", "billing", "--access-key-id", key.AccessKeyId)).code, 0);
  await assert.rejects(billing.send(new GetSecretValueCommand({ SecretId: "/prod/billing/db" })), { name: "UnrecognizedClientException" });
  assert.equal((await cli(bossEnv, "delete-user", "--user", "billing")).code, 0);

  // A tenant's administrator manages its own account only, and creates no accounts.
  const other = await cli(bossEnv, "list-users", "--account", "111122223333");
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /AccessDeniedException/);
  const acct = await cli(bossEnv, "create-account", "--name", "sneaky");
  assert.notEqual(acct.code, 0);
  assert.match(acct.stderr, /AccessDeniedException/);
  // The operator's key sees the tenant's users, but not its secrets.
  assert.match(await ok("list-users", "--account", account), /boss/);
  await assert.rejects(smClient(srv.endpoint).send(new GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:${TEST_REGION}:${account}:secret:/prod/billing/db` })), { name: "AccessDeniedException" });
  assert.equal(statSync(policyFile).isFile(), true);
});
