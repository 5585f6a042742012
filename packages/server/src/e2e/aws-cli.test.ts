/**
 * The `aws` CLI (v1) against Keyshift through the whole secret lifecycle: every call below is a
 * real `aws secretsmanager ...` child process with `--output json`. Setup that is not under test
 * (filling a server with secrets to list) goes through the AWS SDK v3 to keep the file fast.
 * Each test starts its own server, so tests are independent and run concurrently.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestContext } from "node:test";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_SECRET, awsEnv, hasCommand, requireDependency, runProcess, startTestServer, type ProcessResult, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

/** JSON printed by the CLI: shapes vary per operation, the assertions check them. */
type Json = any;

type Run = ProcessResult;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let cliAvailable: boolean | undefined;
const run = runProcess;

/** `aws secretsmanager <args> --output json` with `env`. */
function sm(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return run("aws", ["secretsmanager", ...args, "--output", "json"], env);
}

/** Runs a command that must succeed and returns its parsed JSON output ({} when it prints nothing). */
async function ok(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Json> {
  const r = await sm(env, ...args);
  assert.equal(r.code, 0, `aws secretsmanager ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout.trim() === "" ? {} : JSON.parse(r.stdout);
}

/** Runs a command that must fail with the AWS error `code` (the CLI v1 exits 255 on a service error). */
async function fails(env: NodeJS.ProcessEnv, code: string, ...args: string[]): Promise<string> {
  const r = await sm(env, ...args);
  assert.equal(r.code, 255, `aws secretsmanager ${args.join(" ")} should fail with ${code}, exited ${r.code}:\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`An error occurred \\(${code}\\) when calling the \\w+ operation`), r.stderr);
  return r.stderr;
}

/** Starts a fresh server for one test (skipping or failing, as the harness decides, without the CLI). */
async function withServer(t: TestContext, fn: (s: TestServer, env: NodeJS.ProcessEnv) => Promise<void>, env?: NodeJS.ProcessEnv): Promise<void> {
  cliAvailable ??= hasCommand("aws");
  if (!requireDependency(t, "the aws CLI", cliAvailable)) return;
  const s = await startTestServer(env ? { env } : {});
  try {
    await fn(s, s.awsEnv);
  } finally {
    await s.close();
  }
}

/** Creates secrets through the SDK, in order, a few ms apart so that their CreatedDate differ. */
async function seed(s: TestServer, secrets: { Name: string; SecretString?: string; Description?: string; Tags?: { Key: string; Value: string }[] }[]): Promise<void> {
  const c = smClient(s.endpoint);
  for (const x of secrets) {
    await c.send(new CreateSecretCommand({ SecretString: "seeded", ...x }));
    await sleep(3);
  }
  c.destroy();
}

const names = (list: Json): string[] => (list.SecretList as Json[]).map((e) => e.Name as string);
const sortTags = (tags: Json[]): Json[] => [...tags].sort((a, b) => String(a.Key).localeCompare(String(b.Key)));

describe("aws CLI against Keyshift", { concurrency: 4 }, () => {
  it("create-secret with a string; get-secret-value by name, full ARN and partial ARN", async (t) => {
    await withServer(t, async (_s, env) => {
      const value = JSON.stringify({ username: "app", password: "p@ss w0rd" });
      const created = await ok(env, "create-secret", "--name", "prod/app/db", "--secret-string", value, "--description", "database credentials");
      assert.match(created.ARN, new RegExp(`^arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:prod/app/db-[A-Za-z0-9]{6}$`));
      assert.equal(created.Name, "prod/app/db");
      assert.match(created.VersionId, UUID);
      const partial = created.ARN.slice(0, -"-XXXXXX".length);
      const byId = await Promise.all([created.Name, created.ARN, partial].map((id) => ok(env, "get-secret-value", "--secret-id", id)));
      for (const got of byId) {
        assert.equal(got.SecretString, value);
        assert.equal(got.ARN, created.ARN);
        assert.equal(got.Name, "prod/app/db");
        assert.equal(got.VersionId, created.VersionId);
        assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
        assert.equal(typeof got.CreatedDate, "number");
        assert.equal("SecretBinary" in got, false);
      }
    });
  });

  it("create-secret --secret-binary fileb:// round-trips every byte value", async (t) => {
    await withServer(t, async (s, env) => {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7) % 256));
      const file = join(s.dataDir, "secret.bin"); // removed with the server's data dir
      writeFileSync(file, bytes);
      const created = await ok(env, "create-secret", "--name", "binary", "--secret-binary", `fileb://${file}`);
      assert.match(created.VersionId, UUID);
      const got = await ok(env, "get-secret-value", "--secret-id", "binary");
      assert.equal("SecretString" in got, false);
      assert.deepEqual(Buffer.from(got.SecretBinary, "base64"), bytes);
      assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
    });
  });

  it("put-secret-value, update-secret and update-secret-version-stage move AWSCURRENT, and AWSPREVIOUS follows", async (t) => {
    await withServer(t, async (_s, env) => {
      const v1 = (await ok(env, "create-secret", "--name", "staged", "--secret-string", "one")).VersionId;
      const put = await ok(env, "put-secret-value", "--secret-id", "staged", "--secret-string", "two");
      assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
      const v2 = put.VersionId;
      const upd = await ok(env, "update-secret", "--secret-id", "staged", "--secret-string", "three", "--description", "changed");
      const v3 = upd.VersionId;
      assert.equal(new Set([v1, v2, v3]).size, 3, "three distinct versions");
      const described = await ok(env, "describe-secret", "--secret-id", "staged");
      assert.equal(described.Description, "changed");
      assert.deepEqual(described.VersionIdsToStages, { [v3]: ["AWSCURRENT"], [v2]: ["AWSPREVIOUS"] });

      const moved = await ok(env, "update-secret-version-stage", "--secret-id", "staged", "--version-stage", "AWSCURRENT", "--move-to-version-id", v1, "--remove-from-version-id", v3);
      assert.equal(moved.Name, "staged");
      assert.equal(moved.ARN, described.ARN);
      const [listed, withDeprecated, current, previous] = await Promise.all([
        ok(env, "list-secret-version-ids", "--secret-id", "staged"),
        ok(env, "list-secret-version-ids", "--secret-id", "staged", "--include-deprecated"),
        ok(env, "get-secret-value", "--secret-id", "staged"),
        ok(env, "get-secret-value", "--secret-id", "staged", "--version-stage", "AWSPREVIOUS"),
      ]);
      const stagesOf = (l: Json) => Object.fromEntries((l.Versions as Json[]).map((v) => [v.VersionId, v.VersionStages ?? null]));
      assert.deepEqual(stagesOf(listed), { [v1]: ["AWSCURRENT"], [v3]: ["AWSPREVIOUS"] });
      assert.deepEqual(stagesOf(withDeprecated), { [v1]: ["AWSCURRENT"], [v2]: null, [v3]: ["AWSPREVIOUS"] });
      for (const v of withDeprecated.Versions as Json[]) assert.deepEqual(v.KmsKeyIds, ["DefaultEncryptionKey"]);
      assert.equal(current.SecretString, "one");
      assert.equal(current.VersionId, v1);
      assert.equal(previous.SecretString, "three");
      assert.equal(previous.VersionId, v3);
    });
  });

  it("list-secrets --filters: each key, several values, ! negation, and AND across filters", async (t) => {
    await withServer(t, async (s, env) => {
      // One tag per secret, so that every reading of how negation treats several tags agrees.
      await seed(s, [
        { Name: "app/web", Description: "Web frontend", Tags: [{ Key: "env", Value: "prod" }] },
        { Name: "app/worker", Description: "Background worker", Tags: [{ Key: "env", Value: "dev" }] },
        { Name: "db/main", Description: "Primary database", Tags: [{ Key: "tier", Value: "prod" }] },
        { Name: "other", Description: "Misc", Tags: [{ Key: "owner", Value: "ops" }] },
      ]);
      const cases: [string[], string[]][] = [
        [["Key=name,Values=app/"], ["app/web", "app/worker"]],
        [["Key=name,Values=!app/"], ["db/main", "other"]],
        [["Key=name,Values=db/,oth"], ["db/main", "other"]],
        [["Key=name,Values=App/"], []], // name is case-sensitive
        [["Key=description,Values=primary"], ["db/main"]], // description is not
        [["Key=description,Values=!primary"], ["app/web", "app/worker", "other"]],
        [["Key=tag-key,Values=tier"], ["db/main"]],
        [["Key=tag-key,Values=!env"], ["db/main", "other"]],
        [["Key=tag-value,Values=prod"], ["app/web", "db/main"]],
        [["Key=tag-value,Values=!prod"], ["app/worker", "other"]],
        [["Key=all,Values=WORKER"], ["app/worker"]],
        [["Key=owning-service,Values=rds"], []],
        [["Key=name,Values=app/", "Key=tag-value,Values=prod"], ["app/web"]],
      ];
      const results = await Promise.all(cases.map(([filters]) => ok(env, "list-secrets", "--filters", ...filters)));
      cases.forEach(([filters, expected], i) => assert.deepEqual(names(results[i]), expected, `--filters ${filters.join(" ")}`));
      const web = (results[0].SecretList as Json[])[0];
      assert.deepEqual(web.Tags, [{ Key: "env", Value: "prod" }]);
      assert.equal(web.Description, "Web frontend");
      assert.equal(Object.keys(web.SecretVersionsToStages).length, 1);
    });
  });

  it("list-secrets pagination: --max-items with --starting-token, --page-size, and --sort-order", async (t) => {
    await withServer(t, async (s, env) => {
      await seed(s, ["s0", "s1", "s2", "s3", "s4"].map((Name) => ({ Name })));
      const p1 = await ok(env, "list-secrets", "--max-items", "2");
      assert.deepEqual(names(p1), ["s0", "s1"]);
      assert.equal(typeof p1.NextToken, "string");
      const p2 = await ok(env, "list-secrets", "--max-items", "2", "--starting-token", p1.NextToken);
      assert.deepEqual(names(p2), ["s2", "s3"]);
      const p3 = await ok(env, "list-secrets", "--max-items", "2", "--starting-token", p2.NextToken);
      assert.deepEqual(names(p3), ["s4"]);
      assert.equal(p3.NextToken, undefined);
      const [paged, desc, descLimited, asc] = await Promise.all([
        ok(env, "list-secrets", "--page-size", "1"), // the CLI follows the server's NextToken five times
        ok(env, "list-secrets", "--sort-order", "desc"),
        ok(env, "list-secrets", "--sort-order", "desc", "--page-size", "2", "--max-items", "3"),
        ok(env, "list-secrets", "--sort-order", "asc"),
      ]);
      assert.deepEqual(names(paged), ["s0", "s1", "s2", "s3", "s4"]);
      assert.deepEqual(names(desc), ["s4", "s3", "s2", "s1", "s0"]);
      assert.deepEqual(names(descLimited), ["s4", "s3", "s2"]);
      assert.deepEqual(names(asc), ["s0", "s1", "s2", "s3", "s4"]);
    });
  });

  it("describe-secret, tag-resource and untag-resource", async (t) => {
    await withServer(t, async (_s, env) => {
      const created = await ok(env, "create-secret", "--name", "tagged", "--secret-string", "v", "--description", "d", "--tags", "Key=env,Value=prod");
      const d0 = await ok(env, "describe-secret", "--secret-id", "tagged");
      assert.equal(d0.ARN, created.ARN);
      assert.equal(d0.Description, "d");
      assert.deepEqual(d0.Tags, [{ Key: "env", Value: "prod" }]);
      assert.deepEqual(d0.VersionIdsToStages, { [created.VersionId]: ["AWSCURRENT"] });
      assert.equal(typeof d0.CreatedDate, "number");
      assert.equal(typeof d0.LastChangedDate, "number");
      assert.equal("RotationEnabled" in d0, false);
      assert.equal("DeletedDate" in d0, false);
      const tagged = await sm(env, "tag-resource", "--secret-id", "tagged", "--tags", "Key=team,Value=web", "Key=env,Value=dev");
      assert.equal(tagged.code, 0, tagged.stderr);
      assert.equal(tagged.stdout.trim(), "", "tag-resource prints nothing");
      const d1 = await ok(env, "describe-secret", "--secret-id", created.ARN);
      assert.deepEqual(sortTags(d1.Tags), [{ Key: "env", Value: "dev" }, { Key: "team", Value: "web" }]);
      await ok(env, "untag-resource", "--secret-id", "tagged", "--tag-keys", "env", "no-such-key");
      const d2 = await ok(env, "describe-secret", "--secret-id", "tagged");
      assert.deepEqual(d2.Tags, [{ Key: "team", Value: "web" }]);
    });
  });

  it("get-random-password honours length, exclusions and required types", async (t) => {
    await withServer(t, async (_s, env) => {
      const [a, b, tooShort] = await Promise.all([
        ok(env, "get-random-password", "--password-length", "40", "--exclude-punctuation", "--require-each-included-type"),
        ok(env, "get-random-password", "--password-length", "16", "--exclude-characters", "abcdefghijklmnopqrstuvwxyz", "--exclude-numbers", "--exclude-punctuation"),
        sm(env, "get-random-password", "--password-length", "2", "--require-each-included-type"),
      ]);
      assert.match(a.RandomPassword, /^[A-Za-z0-9]{40}$/);
      for (const re of [/[a-z]/, /[A-Z]/, /[0-9]/]) assert.match(a.RandomPassword, re);
      assert.match(b.RandomPassword, /^[A-Z]{16}$/);
      assert.equal(tooShort.code, 255);
      assert.match(tooShort.stderr, /\(InvalidParameterException\).*Password length is too short based on the required types\./);
    });
  });

  it("put/get/delete/validate-resource-policy", async (t) => {
    await withServer(t, async (s, env) => {
      const created = await ok(env, "create-secret", "--name", "with-policy", "--secret-string", "v");
      const policy = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: "secretsmanager:GetSecretValue", Resource: "*" }],
      };
      const file = join(s.dataDir, "policy.json");
      writeFileSync(file, JSON.stringify(policy));
      const validated = await ok(env, "validate-resource-policy", "--secret-id", "with-policy", "--resource-policy", `file://${file}`);
      assert.equal(validated.PolicyValidationPassed, true);
      assert.deepEqual(validated.ValidationErrors, []);
      const put = await ok(env, "put-resource-policy", "--secret-id", "with-policy", "--resource-policy", `file://${file}`, "--block-public-policy");
      assert.deepEqual(put, { ARN: created.ARN, Name: "with-policy" });
      const got = await ok(env, "get-resource-policy", "--secret-id", "with-policy");
      assert.equal(got.ARN, created.ARN);
      assert.deepEqual(JSON.parse(got.ResourcePolicy), policy);
      const deleted = await ok(env, "delete-resource-policy", "--secret-id", "with-policy");
      assert.deepEqual(deleted, { ARN: created.ARN, Name: "with-policy" });
      const after = await ok(env, "get-resource-policy", "--secret-id", "with-policy");
      assert.deepEqual(after, { ARN: created.ARN, Name: "with-policy" });
      // A policy open to everyone is refused when BlockPublicPolicy is set.
      const open = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }] });
      await fails(env, "PublicPolicyException", "put-resource-policy", "--secret-id", "with-policy", "--resource-policy", open, "--block-public-policy");
    });
  });

  it("delete-secret with a recovery window, restore-secret, and --force-delete-without-recovery", async (t) => {
    await withServer(t, async (_s, env) => {
      const created = await ok(env, "create-secret", "--name", "doomed", "--secret-string", "v");
      const before = Date.now() / 1000;
      const del = await ok(env, "delete-secret", "--secret-id", "doomed", "--recovery-window-in-days", "7");
      assert.equal(del.ARN, created.ARN);
      assert.equal(del.Name, "doomed");
      assert.ok(Math.abs(del.DeletionDate - (before + 7 * 86400)) < 120, `DeletionDate ${del.DeletionDate} is 7 days ahead`);
      const [getDeleted, described, listed, listedAll] = await Promise.all([
        sm(env, "get-secret-value", "--secret-id", "doomed"),
        ok(env, "describe-secret", "--secret-id", "doomed"),
        ok(env, "list-secrets"),
        ok(env, "list-secrets", "--include-planned-deletion"),
      ]);
      assert.equal(getDeleted.code, 255);
      assert.match(getDeleted.stderr, /\(InvalidRequestException\).*marked deleted/);
      assert.equal(typeof described.DeletedDate, "number");
      assert.deepEqual(names(listed), []);
      assert.deepEqual(names(listedAll), ["doomed"]);
      await fails(env, "InvalidRequestException", "put-secret-value", "--secret-id", "doomed", "--secret-string", "x");

      assert.deepEqual(await ok(env, "restore-secret", "--secret-id", "doomed"), { ARN: created.ARN, Name: "doomed" });
      const [restored, describedAgain] = await Promise.all([ok(env, "get-secret-value", "--secret-id", "doomed"), ok(env, "describe-secret", "--secret-id", "doomed")]);
      assert.equal(restored.SecretString, "v");
      assert.equal("DeletedDate" in describedAgain, false);

      await fails(env, "InvalidParameterException", "delete-secret", "--secret-id", "doomed", "--recovery-window-in-days", "7", "--force-delete-without-recovery");
      const forced = await ok(env, "delete-secret", "--secret-id", "doomed", "--force-delete-without-recovery");
      assert.equal(forced.ARN, created.ARN);
      assert.equal(typeof forced.DeletionDate, "number");
      const gone = await fails(env, "ResourceNotFoundException", "describe-secret", "--secret-id", "doomed");
      assert.match(gone, /Secrets Manager can't find the specified secret\./);
      // The name is free again at once, with a new ARN.
      const again = await ok(env, "create-secret", "--name", "doomed", "--secret-string", "new");
      assert.notEqual(again.ARN, created.ARN);
    });
  });

  it("replicate-secret-to-regions, reads in the replica region, stop-replication-to-replica", async (t) => {
    await withServer(t, async (s, env) => {
      await seed(s, [{ Name: "plain" }]);
      const created = await ok(env, "create-secret", "--name", "shared", "--secret-string", "v1");
      const rep = await ok(env, "replicate-secret-to-regions", "--secret-id", "shared", "--add-replica-regions", "Region=eu-west-1");
      assert.equal(rep.ARN, created.ARN);
      assert.equal(rep.ReplicationStatus.length, 1);
      assert.equal(rep.ReplicationStatus[0].Region, "eu-west-1");
      assert.equal(rep.ReplicationStatus[0].Status, "InSync");
      const replicaArn = created.ARN.replace(":us-east-1:", ":eu-west-1:");
      const [replica, replicaValue, primary, byPrimaryRegion, writeToReplica] = await Promise.all([
        ok(env, "describe-secret", "--secret-id", "shared", "--region", "eu-west-1"),
        ok(env, "get-secret-value", "--secret-id", replicaArn, "--region", "eu-west-1"),
        ok(env, "describe-secret", "--secret-id", "shared"),
        ok(env, "list-secrets", "--filters", "Key=primary-region,Values=us-east-1"),
        sm(env, "put-secret-value", "--secret-id", "shared", "--secret-string", "v2", "--region", "eu-west-1"),
      ]);
      assert.equal(replica.ARN, replicaArn);
      assert.equal(replica.PrimaryRegion, "us-east-1");
      assert.equal(replicaValue.SecretString, "v1");
      assert.equal(replicaValue.ARN, replicaArn);
      assert.equal(primary.PrimaryRegion, "us-east-1");
      assert.deepEqual(primary.ReplicationStatus.map((r: Json) => [r.Region, r.Status]), [["eu-west-1", "InSync"]]);
      assert.deepEqual(names(byPrimaryRegion), ["shared"]);
      assert.equal(writeToReplica.code, 255, "writes to a replica are refused");
      assert.match(writeToReplica.stderr, /\(InvalidParameterException\)/);

      const stopped = await ok(env, "stop-replication-to-replica", "--secret-id", "shared", "--region", "eu-west-1");
      assert.equal(stopped.ARN, replicaArn);
      const [standalone, primaryAfter, standaloneValue] = await Promise.all([
        ok(env, "describe-secret", "--secret-id", "shared", "--region", "eu-west-1"),
        ok(env, "describe-secret", "--secret-id", "shared"),
        ok(env, "get-secret-value", "--secret-id", "shared", "--region", "eu-west-1"),
      ]);
      assert.equal("PrimaryRegion" in standalone, false);
      assert.equal("ReplicationStatus" in primaryAfter, false);
      assert.equal(standaloneValue.SecretString, "v1");
    });
  });

  it("batch-get-secret-value by id list (with a per-secret error) and by filter", async (t) => {
    await withServer(t, async (s, env) => {
      await seed(s, [
        { Name: "batch/a", SecretString: "A" },
        { Name: "batch/b", SecretString: "B" },
        { Name: "elsewhere", SecretString: "C" },
      ]);
      const [byIds, byFilter, both] = await Promise.all([
        ok(env, "batch-get-secret-value", "--secret-id-list", "batch/a", "batch/b", "batch/missing"),
        ok(env, "batch-get-secret-value", "--filters", "Key=name,Values=batch/"),
        sm(env, "batch-get-secret-value", "--secret-id-list", "batch/a", "--filters", "Key=name,Values=batch/"),
      ]);
      const values = (r: Json) => Object.fromEntries((r.SecretValues as Json[]).map((v) => [v.Name, v.SecretString]));
      assert.deepEqual(values(byIds), { "batch/a": "A", "batch/b": "B" });
      assert.deepEqual(byIds.Errors, [{ SecretId: "batch/missing", ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." }]);
      for (const v of byIds.SecretValues as Json[]) assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
      assert.deepEqual(values(byFilter), { "batch/a": "A", "batch/b": "B" });
      assert.equal(both.code, 255);
      assert.match(both.stderr, /\(InvalidParameterException\)/);
    });
  });

  it("errors: a wrong secret key, an unknown key id, an unknown secret", async (t) => {
    await withServer(t, async (s, env) => {
      const [wrongSecret, unknownKey, unknownSecret] = await Promise.all([
        sm(awsEnv(s.endpoint, TEST_KEY_ID, "not-the-secret-access-key-at-all-000000"), "list-secrets"),
        sm(awsEnv(s.endpoint, "KSAKNOSUCHKEY0000000", TEST_SECRET), "list-secrets"),
        sm(env, "get-secret-value", "--secret-id", "no-such-secret"),
      ]);
      assert.equal(wrongSecret.code, 255);
      assert.match(wrongSecret.stderr, /\((InvalidSignatureException|UnrecognizedClientException)\) when calling the ListSecrets operation/);
      assert.equal(unknownKey.code, 255);
      assert.match(unknownKey.stderr, /\(UnrecognizedClientException\) when calling the ListSecrets operation: The security token included in the request is invalid\./);
      assert.equal(unknownSecret.code, 255);
      assert.match(unknownSecret.stderr, /\(ResourceNotFoundException\) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret\./);
    });
  });

  it("first run without KEYSHIFT_BOOTSTRAP_*: the credentials file in the data dir works with the CLI as written", async (t) => {
    const noBootstrap = { KEYSHIFT_BOOTSTRAP_ACCESS_KEY_ID: "", KEYSHIFT_BOOTSTRAP_SECRET_ACCESS_KEY: "", KEYSHIFT_ACCOUNT_ID: "" };
    await withServer(
      t,
      async (s) => {
        const file = join(s.dataDir, "credentials");
        assert.equal(s.app.credentialsFile, file);
        assert.equal(statSync(file).mode & 0o777, 0o600, "credentials file is 0600");
        const text = readFileSync(file, "utf8");
        assert.match(text, /^\[default\]$/m);
        const keyId = /^aws_access_key_id = (\S+)$/m.exec(text)?.[1];
        assert.ok(keyId, "an access key id in the file");
        assert.notEqual(keyId, TEST_KEY_ID, "a generated key, not the test bootstrap key");
        assert.notEqual(s.app.accountId, TEST_ACCOUNT, "a generated account, not the test account");
        assert.match(s.app.accountId, /^[1-9]\d{11}$/);
        // Exactly the README's line: no AWS_* key variables, the file, --endpoint-url and --region.
        const home = join(s.dataDir, "home");
        mkdirSync(home);
        const env = { PATH: process.env.PATH, HOME: home, AWS_SHARED_CREDENTIALS_FILE: file, AWS_CONFIG_FILE: "/dev/null", AWS_EC2_METADATA_DISABLED: "true", AWS_PAGER: "" };
        const cli = (...args: string[]) => run("aws", ["--endpoint-url", s.endpoint, "secretsmanager", ...args, "--region", "us-east-1", "--output", "json"], env);
        const listed = await cli("list-secrets");
        assert.equal(listed.code, 0, listed.stderr);
        assert.deepEqual(JSON.parse(listed.stdout), { SecretList: [] });
        const [created, testKey] = await Promise.all([
          cli("create-secret", "--name", "first", "--secret-string", "v"),
          sm(s.awsEnv, "list-secrets"), // the test key was not bootstrapped: the empty variables were ignored
        ]);
        assert.equal(created.code, 0, created.stderr);
        assert.match(JSON.parse(created.stdout).ARN, new RegExp(`^arn:aws:secretsmanager:us-east-1:${s.app.accountId}:secret:first-[A-Za-z0-9]{6}$`));
        assert.equal(testKey.code, 255);
        assert.match(testKey.stderr, /\(UnrecognizedClientException\)/);
      },
      noBootstrap,
    );
  });
});
