/**
 * The real AWS SDK for JavaScript v3 driven through every one of the 23 operations and the whole
 * life of a secret: create, read, version, label, list, tag, policy, delete, restore, purge,
 * batch read, replicate, rotate (refused), across regions and with bad credentials.
 *
 * Expected answers come from the wire contract (shared/reference/aws-secrets-manager.md) and the
 * real-AWS snapshots (shared/reference/aws-ground-truth); where only moto documents a message,
 * the test says so next to the assertion.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  BatchGetSecretValueCommand,
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  ListSecretsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RemoveRegionsFromReplicationCommand,
  ReplicateSecretToRegionsCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  StopReplicationToReplicaCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  ValidateResourcePolicyCommand,
  type Filter,
  type ListSecretsCommandInput,
  type SecretListEntry,
  type SecretVersionsListEntry,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { TEST_ACCOUNT, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const ARN_RE = (region: string, name: string) =>
  new RegExp(`^arn:aws:secretsmanager:${region}:${TEST_ACCOUNT}:secret:${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}-[A-Za-z0-9]{6}$`);

const MSG = {
  notFound: "Secrets Manager can't find the specified secret.",
  stageNotFound: (s: string) => `Secrets Manager can't find the specified secret value for staging label: ${s}`,
  versionNotFound: (v: string) => `Secrets Manager can't find the specified secret value for VersionId: ${v}`,
  exists: (n: string) => `The operation failed because the secret ${n} already exists.`,
  scheduled: "You can't create this secret because a secret with this name is already scheduled for deletion.",
  mismatch: "You provided a VersionStage that is not associated to the provided VersionId.",
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  getOnDeleted: "You tried to perform the operation on a secret that's currently marked deleted.",
  noLambda: "No Lambda rotation function ARN is associated with this secret.",
  cannotInvoke:
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
  replicaWrite: "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
  window: "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
  forceAndWindow: "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
  tooShort: "Password length is too short based on the required types.",
  badToken: "The security token included in the request is invalid.",
};

/** Awaits `p`, which must fail with AWS error `name` (HTTP 400 unless given) and, if given, `message`. */
async function rejects(p: Promise<unknown>, name: string, message?: string | RegExp, status = 400): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  let err: (Error & { $metadata?: { httpStatusCode?: number } }) | undefined;
  try {
    await p;
  } catch (e) {
    err = e as Error & { $metadata?: { httpStatusCode?: number } };
  }
  if (!err) assert.fail(`expected ${name}, but the call succeeded`);
  assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
  assert.equal(err.$metadata?.httpStatusCode, status, `HTTP status of ${name}`);
  if (typeof message === "string") assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
  return err;
}

/** Midnight UTC of `ms`. */
function midnight(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** Every version of a secret (all pages), deprecated ones included when asked. */
async function allVersions(c: SecretsManagerClient, id: string, includeDeprecated = true, pageSize = 100): Promise<SecretVersionsListEntry[]> {
  const out: SecretVersionsListEntry[] = [];
  let NextToken: string | undefined;
  do {
    const r = await c.send(new ListSecretVersionIdsCommand({ SecretId: id, IncludeDeprecated: includeDeprecated, MaxResults: pageSize, NextToken }));
    out.push(...(r.Versions ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/** Every secret a ListSecrets query returns, following NextToken; also the page sizes seen. */
async function listAll(c: SecretsManagerClient, input: ListSecretsCommandInput): Promise<{ secrets: SecretListEntry[]; pages: number[] }> {
  const secrets: SecretListEntry[] = [];
  const pages: number[] = [];
  let NextToken: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const r = await c.send(new ListSecretsCommand({ ...input, NextToken }));
    pages.push(r.SecretList?.length ?? 0);
    secrets.push(...(r.SecretList ?? []));
    NextToken = r.NextToken;
    if (!NextToken) return { secrets, pages };
  }
  assert.fail("ListSecrets paging did not end after 1000 pages");
}

function stagesOf(versions: SecretVersionsListEntry[]): Record<string, string[]> {
  return Object.fromEntries(versions.map((v) => [v.VersionId!, [...(v.VersionStages ?? [])].sort()]));
}

let s: TestServer;
let c: SecretsManagerClient;

before(async () => {
  s = await startTestServer();
  c = smClient(s.endpoint);
});
after(async () => {
  c?.destroy();
  await s?.close();
});

describe("CreateSecret and reads", () => {
  test("a string secret with description, tags and KmsKeyId", async () => {
    const token = randomUUID();
    const created = await c.send(
      new CreateSecretCommand({
        Name: "app/db-password",
        SecretString: "hunter2",
        Description: "the database password",
        KmsKeyId: "alias/app-key",
        Tags: [
          { Key: "env", Value: "prod" },
          { Key: "team", Value: "core" },
        ],
        ClientRequestToken: token,
      }),
    );
    assert.match(created.ARN!, ARN_RE("us-east-1", "app/db-password"));
    assert.equal(created.Name, "app/db-password");
    assert.equal(created.VersionId, token, "the first VersionId is the ClientRequestToken");

    const d = await c.send(new DescribeSecretCommand({ SecretId: "app/db-password" }));
    assert.equal(d.ARN, created.ARN);
    assert.equal(d.Description, "the database password");
    assert.equal(d.KmsKeyId, "alias/app-key");
    assert.deepEqual(d.Tags, [
      { Key: "env", Value: "prod" },
      { Key: "team", Value: "core" },
    ]);
    assert.deepEqual(d.VersionIdsToStages, { [token]: ["AWSCURRENT"] });
    assert.ok(d.CreatedDate instanceof Date && d.LastChangedDate instanceof Date);
    assert.equal(d.RotationEnabled, undefined, "never configured: no RotationEnabled");
    assert.equal(d.DeletedDate, undefined);
    assert.equal(d.LastAccessedDate, undefined, "not read yet");
    assert.equal(d.PrimaryRegion, undefined, "not replicated");

    const v = await c.send(new GetSecretValueCommand({ SecretId: "app/db-password" }));
    assert.equal(v.SecretString, "hunter2");
    assert.equal(v.SecretBinary, undefined);
    assert.equal(v.VersionId, token);
    assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
    assert.equal(v.ARN, created.ARN);
    assert.equal(v.Name, "app/db-password");
    assert.ok(v.CreatedDate instanceof Date);
  });

  test("a binary secret keeps every byte, 0x00 and 0xff included", async () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const created = await c.send(new CreateSecretCommand({ Name: "bin/all-bytes", SecretBinary: bytes }));
    const v = await c.send(new GetSecretValueCommand({ SecretId: "bin/all-bytes" }));
    assert.equal(v.SecretString, undefined);
    assert.deepEqual(Buffer.from(v.SecretBinary!), Buffer.from(bytes));
    assert.equal(v.VersionId, created.VersionId);

    const edge = Uint8Array.from([0xff, 0x00, 0x00, 0xff]);
    const put = await c.send(new PutSecretValueCommand({ SecretId: "bin/all-bytes", SecretBinary: edge }));
    const byId = await c.send(new GetSecretValueCommand({ SecretId: "bin/all-bytes", VersionId: put.VersionId }));
    assert.deepEqual(Buffer.from(byId.SecretBinary!), Buffer.from(edge));
    const prev = await c.send(new GetSecretValueCommand({ SecretId: "bin/all-bytes", VersionStage: "AWSPREVIOUS" }));
    assert.deepEqual(Buffer.from(prev.SecretBinary!), Buffer.from(bytes));
    const single = await c.send(new CreateSecretCommand({ Name: "bin/one-zero", SecretBinary: Uint8Array.from([0]) }));
    const z = await c.send(new GetSecretValueCommand({ SecretId: single.ARN }));
    assert.deepEqual(Buffer.from(z.SecretBinary!), Buffer.from([0]));
  });

  test("a string and a binary value together are refused", async () => {
    await rejects(
      c.send(new CreateSecretCommand({ Name: "both-values", SecretString: "a", SecretBinary: Uint8Array.from([1]) })),
      "InvalidParameterException",
    );
    await rejects(c.send(new DescribeSecretCommand({ SecretId: "both-values" })), "ResourceNotFoundException", MSG.notFound);
  });

  test("a secret created without a value has no version until one is put", async () => {
    const created = await c.send(new CreateSecretCommand({ Name: "empty/at-first", Description: "no value yet" }));
    assert.equal(created.VersionId, undefined);
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "empty/at-first" })), "ResourceNotFoundException", MSG.stageNotFound("AWSCURRENT"));
    const d = await c.send(new DescribeSecretCommand({ SecretId: "empty/at-first" }));
    assert.equal(d.VersionIdsToStages, undefined);
    assert.deepEqual((await c.send(new ListSecretVersionIdsCommand({ SecretId: "empty/at-first" }))).Versions, []);
    // Ground truth (test_create_secret_version_from_empty_secret): the first version is AWSCURRENT.
    const put = await c.send(new PutSecretValueCommand({ SecretId: "empty/at-first", SecretString: "now" }));
    assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "empty/at-first" }))).SecretString, "now");
  });

  test("a duplicate name is ResourceExistsException; the same token and value is an idempotent retry", async () => {
    const token = randomUUID();
    const first = await c.send(new CreateSecretCommand({ Name: "dup/name", SecretString: "v1", ClientRequestToken: token }));
    const retry = await c.send(new CreateSecretCommand({ Name: "dup/name", SecretString: "v1", ClientRequestToken: token }));
    assert.equal(retry.ARN, first.ARN);
    assert.equal(retry.VersionId, token);
    await rejects(c.send(new CreateSecretCommand({ Name: "dup/name", SecretString: "v1" })), "ResourceExistsException", MSG.exists("dup/name"));
    // moto's wording for the same token with another value.
    await rejects(
      c.send(new CreateSecretCommand({ Name: "dup/name", SecretString: "other", ClientRequestToken: token })),
      "ResourceExistsException",
      /ClientRequestToken/,
    );
    const versions = await allVersions(c, "dup/name");
    assert.equal(versions.length, 1, "retries created nothing");
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "dup/name" }))).SecretString, "v1");
  });
});

describe("SecretId forms", () => {
  test("name, full ARN and partial ARN all find the secret; a wrong suffix does not", async () => {
    const created = await c.send(new CreateSecretCommand({ Name: "ids/service", SecretString: "x" }));
    const arn = created.ARN!;
    const partial = arn.slice(0, -7);
    assert.equal(partial, `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:ids/service`);
    for (const id of ["ids/service", arn, partial]) {
      const v = await c.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(v.SecretString, "x", id);
      assert.equal((await c.send(new DescribeSecretCommand({ SecretId: id }))).ARN, arn, id);
    }
    const suffix = arn.slice(-6);
    const wrong = arn.slice(0, -6) + (suffix === "AAAAAA" ? "BBBBBB" : "AAAAAA");
    await rejects(c.send(new GetSecretValueCommand({ SecretId: wrong })), "ResourceNotFoundException", MSG.notFound);
    // Writes through a partial ARN.
    await c.send(new PutSecretValueCommand({ SecretId: partial, SecretString: "y" }));
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString, "y");
  });

  test("an ARN ending in '-' and six alphanumerics is taken as a full ARN", async () => {
    // The name itself ends like an ARN suffix (ground truth: such names can be created).
    const created = await c.send(new CreateSecretCommand({ Name: "ids/db-a1b2c3", SecretString: "z" }));
    assert.match(created.ARN!, ARN_RE("us-east-1", "ids/db-a1b2c3"));
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ids/db-a1b2c3" }))).SecretString, "z");
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString, "z");
    // Its partial ARN ends in -a1b2c3, so it is read as a full ARN, which does not exist.
    const partial = `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:ids/db-a1b2c3`;
    await rejects(c.send(new GetSecretValueCommand({ SecretId: partial })), "ResourceNotFoundException", MSG.notFound);
    // A partial ARN whose tail is not six alphanumerics is still partial.
    await c.send(new CreateSecretCommand({ Name: "ids/db-a1b2", SecretString: "w" }));
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:ids/db-a1b2` }))).SecretString, "w");
  });
});

describe("versions and staging labels", () => {
  test("PutSecretValue moves AWSCURRENT and AWSPREVIOUS follows", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "ver/put", SecretString: "one" }))).VersionId!;
    const p2 = await c.send(new PutSecretValueCommand({ SecretId: "ver/put", SecretString: "two" }));
    assert.deepEqual(p2.VersionStages, ["AWSCURRENT"]);
    const v2 = p2.VersionId!;
    assert.notEqual(v2, v1);
    assert.deepEqual(stagesOf(await allVersions(c, "ver/put", false)), { [v1]: ["AWSPREVIOUS"], [v2]: ["AWSCURRENT"] });
    const v3 = (await c.send(new PutSecretValueCommand({ SecretId: "ver/put", SecretString: "three" }))).VersionId!;
    // v1 is now unlabeled: listed only with IncludeDeprecated.
    assert.deepEqual(stagesOf(await allVersions(c, "ver/put", false)), { [v2]: ["AWSPREVIOUS"], [v3]: ["AWSCURRENT"] });
    assert.deepEqual(stagesOf(await allVersions(c, "ver/put", true)), { [v1]: [], [v2]: ["AWSPREVIOUS"], [v3]: ["AWSCURRENT"] });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/put" }))).SecretString, "three");
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/put", VersionStage: "AWSPREVIOUS" }))).SecretString, "two");
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/put", VersionId: v1 }))).SecretString, "one", "an unlabeled version is still readable by id");
    const d = await c.send(new DescribeSecretCommand({ SecretId: "ver/put" }));
    assert.deepEqual(d.VersionIdsToStages, { [v2]: ["AWSPREVIOUS"], [v3]: ["AWSCURRENT"] }, "DescribeSecret shows labeled versions only");
  });

  test("custom VersionStages move only those labels (ground truth: non-versioning stage replacement)", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "ver/custom", SecretString: "base" }))).VersionId!;
    const p2 = await c.send(new PutSecretValueCommand({ SecretId: "ver/custom", SecretString: "s2", VersionStages: ["one", "two", "three"] }));
    assert.deepEqual(p2.VersionStages, ["one", "three", "two"]);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/custom" }))).SecretString, "base", "AWSCURRENT did not move");
    const p3 = await c.send(new PutSecretValueCommand({ SecretId: "ver/custom", SecretString: "s3", VersionStages: ["one", "two", "four"] }));
    assert.deepEqual(p3.VersionStages, ["four", "one", "two"]);
    assert.deepEqual(stagesOf(await allVersions(c, "ver/custom", false)), {
      [v1]: ["AWSCURRENT"],
      [p2.VersionId!]: ["three"],
      [p3.VersionId!]: ["four", "one", "two"],
    });
    // AWSCURRENT among explicit stages: AWSPREVIOUS goes to the old current.
    const p4 = await c.send(new PutSecretValueCommand({ SecretId: "ver/custom", SecretString: "s4", VersionStages: ["AWSCURRENT", "three"] }));
    assert.deepEqual(stagesOf(await allVersions(c, "ver/custom", false)), {
      [v1]: ["AWSPREVIOUS"],
      [p3.VersionId!]: ["four", "one", "two"],
      [p4.VersionId!]: ["AWSCURRENT", "three"],
    });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/custom", VersionStage: "three" }))).SecretString, "s4");
  });

  test("PutSecretValue is idempotent on ClientRequestToken; another value with the same token is refused", async () => {
    await c.send(new CreateSecretCommand({ Name: "ver/idem", SecretString: "a" }));
    const token = randomUUID();
    const first = await c.send(new PutSecretValueCommand({ SecretId: "ver/idem", SecretString: "b", ClientRequestToken: token }));
    const before = await allVersions(c, "ver/idem");
    const retry = await c.send(new PutSecretValueCommand({ SecretId: "ver/idem", SecretString: "b", ClientRequestToken: token }));
    assert.equal(retry.VersionId, first.VersionId);
    assert.equal(retry.VersionId, token);
    assert.deepEqual(retry.VersionStages, ["AWSCURRENT"]);
    assert.deepEqual(stagesOf(await allVersions(c, "ver/idem")), stagesOf(before), "the retry changed nothing");
    await rejects(
      c.send(new PutSecretValueCommand({ SecretId: "ver/idem", SecretString: "different", ClientRequestToken: token })),
      "ResourceExistsException",
      /ClientRequestToken/,
    );
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "ver/idem" }))).SecretString, "b");
    assert.deepEqual(stagesOf(await allVersions(c, "ver/idem")), stagesOf(before));
    // The same bytes as binary are another value.
    await rejects(
      c.send(new PutSecretValueCommand({ SecretId: "ver/idem", SecretBinary: Buffer.from("b"), ClientRequestToken: token })),
      "ResourceExistsException",
    );
  });

  test("UpdateSecret changes metadata only, or also adds a version", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "upd/one", SecretString: "v1", Description: "before" }))).VersionId!;
    const d0 = await c.send(new DescribeSecretCommand({ SecretId: "upd/one" }));
    await new Promise((r) => setTimeout(r, 5));
    const meta = await c.send(new UpdateSecretCommand({ SecretId: "upd/one", Description: "after", KmsKeyId: "alias/other" }));
    assert.equal(meta.VersionId, undefined, "metadata-only update creates no version");
    const d1 = await c.send(new DescribeSecretCommand({ SecretId: "upd/one" }));
    assert.equal(d1.Description, "after");
    assert.equal(d1.KmsKeyId, "alias/other");
    assert.deepEqual(d1.VersionIdsToStages, { [v1]: ["AWSCURRENT"] });
    assert.ok(d1.LastChangedDate!.getTime() > d0.LastChangedDate!.getTime(), "LastChangedDate advanced");

    const token = randomUUID();
    const withValue = await c.send(new UpdateSecretCommand({ SecretId: "upd/one", SecretString: "v2", ClientRequestToken: token }));
    assert.equal(withValue.VersionId, token);
    assert.deepEqual((await c.send(new DescribeSecretCommand({ SecretId: "upd/one" }))).VersionIdsToStages, { [v1]: ["AWSPREVIOUS"], [token]: ["AWSCURRENT"] });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "upd/one" }))).SecretString, "v2");
    assert.equal((await c.send(new DescribeSecretCommand({ SecretId: "upd/one" }))).Description, "after", "Description kept");
    // Same token, other value.
    await rejects(c.send(new UpdateSecretCommand({ SecretId: "upd/one", SecretString: "v3", ClientRequestToken: token })), "ResourceExistsException");
    await rejects(c.send(new UpdateSecretCommand({ SecretId: "upd/missing", Description: "x" })), "ResourceNotFoundException", MSG.notFound);
  });

  test("UpdateSecretVersionStage moves labels with AWS's rules", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "stage/move", SecretString: "1" }))).VersionId!;
    const v2 = (await c.send(new PutSecretValueCommand({ SecretId: "stage/move", SecretString: "2", VersionStages: ["AWSPENDING"] }))).VersionId!;
    const v3 = (await c.send(new PutSecretValueCommand({ SecretId: "stage/move", SecretString: "3", VersionStages: ["CUSTOM"] }))).VersionId!;

    // AWSCURRENT is on v1: moving it without naming v1 in RemoveFromVersionId is refused (moto wording).
    await rejects(
      c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "AWSCURRENT", MoveToVersionId: v2 })),
      "InvalidParameterException",
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${v1}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
    // RemoveFromVersionId must be the version that has the label.
    await rejects(
      c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "AWSCURRENT", RemoveFromVersionId: v3, MoveToVersionId: v2 })),
      "InvalidParameterException",
    );
    // A version that does not exist.
    await rejects(
      c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "CUSTOM", MoveToVersionId: randomUUID() })),
      "InvalidParameterException",
    );
    // AWSCURRENT can't just be removed.
    await rejects(
      c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "AWSCURRENT", RemoveFromVersionId: v1 })),
      "InvalidParameterException",
    );
    assert.deepEqual(stagesOf(await allVersions(c, "stage/move", false)), { [v1]: ["AWSCURRENT"], [v2]: ["AWSPENDING"], [v3]: ["CUSTOM"] }, "refused calls changed nothing");

    // finishSecret: AWSCURRENT to v2, AWSPREVIOUS follows to v1; AWSPENDING stays where it is.
    const r = await c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "AWSCURRENT", RemoveFromVersionId: v1, MoveToVersionId: v2 }));
    assert.equal(r.Name, "stage/move");
    assert.match(r.ARN!, ARN_RE("us-east-1", "stage/move"));
    assert.deepEqual(stagesOf(await allVersions(c, "stage/move", false)), { [v1]: ["AWSPREVIOUS"], [v2]: ["AWSCURRENT", "AWSPENDING"], [v3]: ["CUSTOM"] });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "stage/move" }))).SecretString, "2");

    // Remove a custom label.
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "CUSTOM", RemoveFromVersionId: v3 }));
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "stage/move", VersionStage: "CUSTOM" })), "ResourceNotFoundException", MSG.stageNotFound("CUSTOM"));
    // Attach a label nobody has, with MoveToVersionId alone.
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "NEWLABEL", MoveToVersionId: v3 }));
    // Move it on, naming where it was.
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "NEWLABEL", RemoveFromVersionId: v3, MoveToVersionId: v1 }));
    assert.deepEqual(stagesOf(await allVersions(c, "stage/move", true)), { [v1]: ["AWSPREVIOUS", "NEWLABEL"], [v2]: ["AWSCURRENT", "AWSPENDING"], [v3]: [] });
    // Moving AWSCURRENT back.
    await c.send(new UpdateSecretVersionStageCommand({ SecretId: "stage/move", VersionStage: "AWSCURRENT", RemoveFromVersionId: v2, MoveToVersionId: v1 }));
    assert.deepEqual(stagesOf(await allVersions(c, "stage/move", false)), { [v1]: ["AWSCURRENT", "NEWLABEL"], [v2]: ["AWSPENDING", "AWSPREVIOUS"] });
  });

  test("GetSecretValue by VersionId, by VersionStage, both, and mismatches", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "get/by", SecretString: "first" }))).VersionId!;
    const v2 = (await c.send(new PutSecretValueCommand({ SecretId: "get/by", SecretString: "second" }))).VersionId!;
    const byId = await c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionId: v1 }));
    assert.equal(byId.SecretString, "first");
    assert.deepEqual(byId.VersionStages, ["AWSPREVIOUS"]);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionStage: "AWSCURRENT" }))).VersionId, v2);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionId: v2, VersionStage: "AWSCURRENT" }))).SecretString, "second");
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionId: v1, VersionStage: "AWSCURRENT" })), "InvalidRequestException", MSG.mismatch);
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionStage: "AWSPENDING" })), "ResourceNotFoundException", MSG.stageNotFound("AWSPENDING"));
    const missing = randomUUID();
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "get/by", VersionId: missing })), "ResourceNotFoundException", MSG.versionNotFound(missing));
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "get/nope" })), "ResourceNotFoundException", MSG.notFound);
  });

  test("ListSecretVersionIds pages and hides deprecated versions unless asked", async () => {
    const ids = [(await c.send(new CreateSecretCommand({ Name: "ver/list", SecretString: "0" }))).VersionId!];
    for (let i = 1; i < 5; i++) ids.push((await c.send(new PutSecretValueCommand({ SecretId: "ver/list", SecretString: String(i) }))).VersionId!);
    const first = await c.send(new ListSecretVersionIdsCommand({ SecretId: "ver/list", IncludeDeprecated: true, MaxResults: 2 }));
    assert.equal(first.Versions!.length, 2);
    assert.ok(first.NextToken, "more than one page");
    assert.equal(first.Name, "ver/list");
    const all = await allVersions(c, "ver/list", true, 2);
    assert.deepEqual(all.map((v) => v.VersionId).sort(), [...ids].sort(), "every version exactly once across pages");
    for (const v of all) {
      assert.ok(v.CreatedDate instanceof Date);
      assert.deepEqual(v.KmsKeyIds, ["DefaultEncryptionKey"]);
    }
    const labeled = await allVersions(c, "ver/list", false, 2);
    assert.deepEqual(labeled.map((v) => v.VersionId).sort(), [ids[3], ids[4]].sort());
    await rejects(c.send(new ListSecretVersionIdsCommand({ SecretId: "ver/list", NextToken: "bm90LWEtdG9rZW4" })), "InvalidNextTokenException");
  });
});

describe("tags, passwords and resource policies", () => {
  test("TagResource adds and overwrites; UntagResource down to Tags []", async () => {
    await c.send(new CreateSecretCommand({ Name: "tags/t", SecretString: "x" }));
    assert.equal((await c.send(new DescribeSecretCommand({ SecretId: "tags/t" }))).Tags, undefined, "never tagged: no Tags");
    await c.send(new TagResourceCommand({ SecretId: "tags/t", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
    await c.send(new TagResourceCommand({ SecretId: "tags/t", Tags: [{ Key: "b", Value: "22" }, { Key: "c", Value: "" }] }));
    assert.deepEqual((await c.send(new DescribeSecretCommand({ SecretId: "tags/t" }))).Tags, [
      { Key: "a", Value: "1" },
      { Key: "b", Value: "22" },
      { Key: "c", Value: "" },
    ]);
    await c.send(new UntagResourceCommand({ SecretId: "tags/t", TagKeys: ["a", "not-there"] }));
    assert.deepEqual((await c.send(new DescribeSecretCommand({ SecretId: "tags/t" }))).Tags, [
      { Key: "b", Value: "22" },
      { Key: "c", Value: "" },
    ]);
    await c.send(new UntagResourceCommand({ SecretId: "tags/t", TagKeys: ["b", "c"] }));
    // Ground truth (test_secret_tags): after removing every tag, DescribeSecret shows Tags: [].
    assert.deepEqual((await c.send(new DescribeSecretCommand({ SecretId: "tags/t" }))).Tags, []);
    await rejects(c.send(new TagResourceCommand({ SecretId: "tags/missing", Tags: [{ Key: "a", Value: "1" }] })), "ResourceNotFoundException", MSG.notFound);
  });

  test("GetRandomPassword honours its options", async () => {
    const def = (await c.send(new GetRandomPasswordCommand({}))).RandomPassword!;
    assert.equal(def.length, 32);
    for (const set of [/[a-z]/, /[A-Z]/, /[0-9]/, /[!-/:-@[-`{-~]/]) assert.match(def, set, "each type by default");
    assert.doesNotMatch(def, / /);
    const p = (await c.send(new GetRandomPasswordCommand({ PasswordLength: 200, ExcludeCharacters: "abcXYZ019", ExcludePunctuation: true }))).RandomPassword!;
    assert.equal(p.length, 200);
    assert.match(p, /^[A-Za-z0-9]+$/);
    assert.doesNotMatch(p, /[abcXYZ019]/);
    const only = (await c.send(new GetRandomPasswordCommand({ PasswordLength: 50, ExcludeUppercase: true, ExcludeLowercase: true, ExcludePunctuation: true }))).RandomPassword!;
    assert.match(only, /^[0-9]{50}$/);
    const spaced = (await c.send(new GetRandomPasswordCommand({ PasswordLength: 10, IncludeSpace: true, RequireEachIncludedType: true }))).RandomPassword!;
    assert.match(spaced, / /);
    await rejects(c.send(new GetRandomPasswordCommand({ PasswordLength: 3 })), "InvalidParameterException", MSG.tooShort);
    await rejects(c.send(new GetRandomPasswordCommand({ PasswordLength: 4097 })), "ValidationException");
  });

  test("resource policies: put, get, validate, block public, malformed, delete", async () => {
    const arn = (await c.send(new CreateSecretCommand({ Name: "policy/p", SecretString: "x" }))).ARN!;
    assert.equal((await c.send(new GetResourcePolicyCommand({ SecretId: "policy/p" }))).ResourcePolicy, undefined);
    const scoped = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: "secretsmanager:GetSecretValue", Resource: "*" }],
    });
    const pub = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }] });

    const ok = await c.send(new ValidateResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: scoped }));
    assert.equal(ok.PolicyValidationPassed, true);
    assert.deepEqual(ok.ValidationErrors, []);
    const broad = await c.send(new ValidateResourcePolicyCommand({ ResourcePolicy: pub }));
    assert.equal(broad.PolicyValidationPassed, false);
    assert.ok(broad.ValidationErrors!.length >= 1);
    // Not JSON: AWS's answer is not recorded; either a failed check or MalformedPolicyDocumentException (a modeled error of the operation).
    try {
      const syntax = await c.send(new ValidateResourcePolicyCommand({ ResourcePolicy: "{not json" }));
      assert.equal(syntax.PolicyValidationPassed, false);
    } catch (e) {
      assert.equal((e as Error).name, "MalformedPolicyDocumentException", String(e));
    }

    const put = await c.send(new PutResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: scoped, BlockPublicPolicy: true }));
    assert.equal(put.ARN, arn);
    assert.equal(put.Name, "policy/p");
    assert.equal((await c.send(new GetResourcePolicyCommand({ SecretId: "policy/p" }))).ResourcePolicy, scoped);

    await rejects(c.send(new PutResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: pub, BlockPublicPolicy: true })), "PublicPolicyException");
    await rejects(c.send(new PutResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: "{not json" })), "MalformedPolicyDocumentException");
    await rejects(
      c.send(new PutResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: JSON.stringify({ Statement: [{ Effect: "Maybe", Principal: "*", Action: "*", Resource: "*" }] }) })),
      "MalformedPolicyDocumentException",
    );
    assert.equal((await c.send(new GetResourcePolicyCommand({ SecretId: "policy/p" }))).ResourcePolicy, scoped, "refused puts left the policy alone");
    // Ground truth (test_resource_policy): without BlockPublicPolicy a public policy is stored.
    await c.send(new PutResourcePolicyCommand({ SecretId: "policy/p", ResourcePolicy: pub }));
    assert.equal((await c.send(new GetResourcePolicyCommand({ SecretId: "policy/p" }))).ResourcePolicy, pub);

    const del = await c.send(new DeleteResourcePolicyCommand({ SecretId: "policy/p" }));
    assert.equal(del.ARN, arn);
    assert.equal((await c.send(new GetResourcePolicyCommand({ SecretId: "policy/p" }))).ResourcePolicy, undefined);
    await c.send(new DeleteResourcePolicyCommand({ SecretId: "policy/p" }));
    await rejects(c.send(new GetResourcePolicyCommand({ SecretId: "policy/none" })), "ResourceNotFoundException", MSG.notFound);
  });
});

describe("DeleteSecret and RestoreSecret", () => {
  test("recovery window bounds and the exclusive force flag", async () => {
    await c.send(new CreateSecretCommand({ Name: "del/bounds", SecretString: "x" }));
    await rejects(c.send(new DeleteSecretCommand({ SecretId: "del/bounds", RecoveryWindowInDays: 6 })), "InvalidParameterException", MSG.window);
    await rejects(c.send(new DeleteSecretCommand({ SecretId: "del/bounds", RecoveryWindowInDays: 31 })), "InvalidParameterException", MSG.window);
    await rejects(
      c.send(new DeleteSecretCommand({ SecretId: "del/bounds", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
      "InvalidParameterException",
      MSG.forceAndWindow,
    );
    assert.equal((await c.send(new DescribeSecretCommand({ SecretId: "del/bounds" }))).DeletedDate, undefined, "nothing deleted");
    const t0 = Date.now();
    const d7 = await c.send(new DeleteSecretCommand({ SecretId: "del/bounds", RecoveryWindowInDays: 7 }));
    const t1 = Date.now();
    assert.ok(d7.DeletionDate!.getTime() >= t0 + 7 * DAY - 1000 && d7.DeletionDate!.getTime() <= t1 + 7 * DAY + 1000, "DeletionDate = now + 7 days");

    await c.send(new CreateSecretCommand({ Name: "del/default", SecretString: "x" }));
    const d30 = await c.send(new DeleteSecretCommand({ SecretId: "del/default" }));
    assert.ok(Math.abs(d30.DeletionDate!.getTime() - (Date.now() + 30 * DAY)) < 5000, "the default window is 30 days");
  });

  test("a deleted secret: reads refused, describe works, name held, restore undoes it", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "del/restore", SecretString: "keep me" }))).VersionId!;
    await c.send(new DeleteSecretCommand({ SecretId: "del/restore", RecoveryWindowInDays: 10 }));
    await rejects(c.send(new GetSecretValueCommand({ SecretId: "del/restore" })), "InvalidRequestException", MSG.getOnDeleted);
    const d = await c.send(new DescribeSecretCommand({ SecretId: "del/restore" }));
    assert.ok(d.DeletedDate instanceof Date, "DescribeSecret shows DeletedDate");
    assert.deepEqual(d.VersionIdsToStages, { [v1]: ["AWSCURRENT"] });
    await rejects(c.send(new CreateSecretCommand({ Name: "del/restore", SecretString: "x" })), "InvalidRequestException", MSG.scheduled);
    await rejects(c.send(new PutSecretValueCommand({ SecretId: "del/restore", SecretString: "x" })), "InvalidRequestException");
    await rejects(c.send(new UpdateSecretCommand({ SecretId: "del/restore", Description: "x" })), "InvalidRequestException");
    // Ground truth (test_tag_untag_resource_on_deleted_secret).
    await rejects(c.send(new TagResourceCommand({ SecretId: "del/restore", Tags: [{ Key: "k", Value: "v" }] })), "InvalidRequestException", MSG.markedForDeletion);
    await rejects(c.send(new UntagResourceCommand({ SecretId: "del/restore", TagKeys: ["k"] })), "InvalidRequestException", MSG.markedForDeletion);
    // Deleting again without force (moto: "currently marked deleted").
    await rejects(c.send(new DeleteSecretCommand({ SecretId: "del/restore" })), "InvalidRequestException");

    const r = await c.send(new RestoreSecretCommand({ SecretId: "del/restore" }));
    assert.equal(r.Name, "del/restore");
    assert.equal((await c.send(new DescribeSecretCommand({ SecretId: "del/restore" }))).DeletedDate, undefined);
    const v = await c.send(new GetSecretValueCommand({ SecretId: "del/restore" }));
    assert.equal(v.SecretString, "keep me");
    assert.equal(v.VersionId, v1);
    await rejects(c.send(new RestoreSecretCommand({ SecretId: "del/never" })), "ResourceNotFoundException", MSG.notFound);
  });

  test("force delete: of a deleted secret, of a live one, of a missing one", async () => {
    const first = await c.send(new CreateSecretCommand({ Name: "del/force", SecretString: "x" }));
    await c.send(new DeleteSecretCommand({ SecretId: "del/force" }));
    // Ground truth (test_force_delete_deleted_secret): force-deleting a scheduled secret succeeds.
    const forced = await c.send(new DeleteSecretCommand({ SecretId: "del/force", ForceDeleteWithoutRecovery: true }));
    assert.equal(forced.Name, "del/force");
    assert.ok(forced.DeletionDate instanceof Date);
    await rejects(c.send(new DescribeSecretCommand({ SecretId: "del/force" })), "ResourceNotFoundException", MSG.notFound);
    // The name is free again and the new secret has a new ARN.
    const again = await c.send(new CreateSecretCommand({ Name: "del/force", SecretString: "y" }));
    assert.notEqual(again.ARN, first.ARN);
    await rejects(c.send(new GetSecretValueCommand({ SecretId: first.ARN })), "ResourceNotFoundException", MSG.notFound);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: again.ARN }))).SecretString, "y");

    await c.send(new DeleteSecretCommand({ SecretId: "del/force", ForceDeleteWithoutRecovery: true }));
    await rejects(c.send(new DescribeSecretCommand({ SecretId: "del/force" })), "ResourceNotFoundException", MSG.notFound);
    // A secret that never existed: success, not ResourceNotFound.
    const ghost = await c.send(new DeleteSecretCommand({ SecretId: "del/ghost", ForceDeleteWithoutRecovery: true }));
    assert.equal(ghost.Name, "del/ghost");
    await rejects(c.send(new DeleteSecretCommand({ SecretId: "del/ghost" })), "ResourceNotFoundException", MSG.notFound);
    await rejects(c.send(new DescribeSecretCommand({ SecretId: "del/ghost" })), "ResourceNotFoundException", MSG.notFound);
  });
});

describe("BatchGetSecretValue", () => {
  test("by SecretIdList: found values plus an error entry for a missing id", async () => {
    const a = await c.send(new CreateSecretCommand({ Name: "batch/a", SecretString: "A" }));
    await c.send(new CreateSecretCommand({ Name: "batch/b", SecretBinary: Uint8Array.from([0, 255]) }));
    const r = await c.send(new BatchGetSecretValueCommand({ SecretIdList: ["batch/a", "batch/b", "batch/missing"] }));
    const byName = new Map(r.SecretValues!.map((v) => [v.Name, v]));
    assert.equal(r.SecretValues!.length, 2);
    assert.equal(byName.get("batch/a")!.SecretString, "A");
    assert.equal(byName.get("batch/a")!.ARN, a.ARN);
    assert.equal(byName.get("batch/a")!.VersionId, a.VersionId);
    assert.deepEqual(byName.get("batch/a")!.VersionStages, ["AWSCURRENT"]);
    assert.deepEqual(Buffer.from(byName.get("batch/b")!.SecretBinary!), Buffer.from([0, 255]));
    assert.deepEqual(r.Errors, [{ SecretId: "batch/missing", ErrorCode: "ResourceNotFoundException", Message: MSG.notFound }]);
  });

  test("invalid combinations are InvalidParameterException", async () => {
    await rejects(
      c.send(new BatchGetSecretValueCommand({ SecretIdList: ["batch/a"], Filters: [{ Key: "name", Values: ["batch/"] }] })),
      "InvalidParameterException",
    );
    await rejects(c.send(new BatchGetSecretValueCommand({ SecretIdList: ["batch/a"], MaxResults: 5 })), "InvalidParameterException");
    await rejects(c.send(new BatchGetSecretValueCommand({})), "InvalidParameterException");
  });
});

describe("rotation (no rotators exist yet)", () => {
  test("RotateSecret and CancelRotateSecret answer as AWS does without a usable function", async () => {
    const v1 = (await c.send(new CreateSecretCommand({ Name: "rot/r", SecretString: "x" }))).VersionId!;
    // Ground truth (test_first_rotate_secret_with_missing_lambda_arn).
    await rejects(c.send(new RotateSecretCommand({ SecretId: "rot/r" })), "InvalidRequestException", MSG.noLambda);
    // Ground truth (test_rotate_secret_invalid_lambda_arn).
    await rejects(
      c.send(new RotateSecretCommand({ SecretId: "rot/r", RotationLambdaARN: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:rotator`, RotationRules: { AutomaticallyAfterDays: 30 } })),
      "AccessDeniedException",
      MSG.cannotInvoke,
    );
    await rejects(c.send(new RotateSecretCommand({ SecretId: "rot/r", RotationLambdaARN: "not-an-arn" })), "AccessDeniedException", MSG.cannotInvoke);
    await rejects(c.send(new RotateSecretCommand({ SecretId: "rot/missing", RotationLambdaARN: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:x` })), "ResourceNotFoundException", MSG.notFound);
    // Nothing was configured or created by the refused rotations.
    const d = await c.send(new DescribeSecretCommand({ SecretId: "rot/r" }));
    assert.equal(d.RotationEnabled, undefined);
    assert.equal(d.RotationLambdaARN, undefined);
    assert.deepEqual(d.VersionIdsToStages, { [v1]: ["AWSCURRENT"] });
    assert.equal((await allVersions(c, "rot/r")).length, 1, "no AWSPENDING placeholder left behind");
    // Never configured: CancelRotateSecret is InvalidRequestException (AWS doc wording, as moto).
    await rejects(c.send(new CancelRotateSecretCommand({ SecretId: "rot/r" })), "InvalidRequestException", /Lambda function ARN/);
    await rejects(c.send(new CancelRotateSecretCommand({ SecretId: "rot/missing" })), "ResourceNotFoundException", MSG.notFound);
  });
});

describe("regions and replication", () => {
  test("secrets are scoped by region", async () => {
    const eu = smClient(s.endpoint, { region: "eu-west-1" });
    try {
      const us = await c.send(new CreateSecretCommand({ Name: "region/scoped", SecretString: "us" }));
      await rejects(eu.send(new DescribeSecretCommand({ SecretId: "region/scoped" })), "ResourceNotFoundException", MSG.notFound);
      await rejects(eu.send(new GetSecretValueCommand({ SecretId: us.ARN })), "ResourceNotFoundException", MSG.notFound);
      const euList = await listAll(eu, { Filters: [{ Key: "name", Values: ["region/"] }] });
      assert.deepEqual(euList.secrets, []);
      const euCreated = await eu.send(new CreateSecretCommand({ Name: "region/scoped", SecretString: "eu" }));
      assert.match(euCreated.ARN!, ARN_RE("eu-west-1", "region/scoped"));
      assert.equal((await eu.send(new GetSecretValueCommand({ SecretId: "region/scoped" }))).SecretString, "eu");
      assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "region/scoped" }))).SecretString, "us");
    } finally {
      eu.destroy();
    }
  });

  test("replicate, read and refuse writes in the replica region, mirror the primary, remove", async () => {
    const eu = smClient(s.endpoint, { region: "eu-west-1" });
    try {
      const primary = await c.send(new CreateSecretCommand({ Name: "repl/app", SecretString: "p1", Description: "primary", Tags: [{ Key: "k", Value: "v" }] }));
      const rep = await c.send(new ReplicateSecretToRegionsCommand({ SecretId: "repl/app", AddReplicaRegions: [{ Region: "eu-west-1" }] }));
      assert.equal(rep.ARN, primary.ARN);
      assert.equal(rep.ReplicationStatus!.length, 1);
      assert.equal(rep.ReplicationStatus![0]!.Region, "eu-west-1");
      assert.equal(rep.ReplicationStatus![0]!.Status, "InSync");

      const pd = await c.send(new DescribeSecretCommand({ SecretId: "repl/app" }));
      assert.equal(pd.PrimaryRegion, "us-east-1");
      assert.deepEqual(pd.ReplicationStatus!.map((r) => [r.Region, r.Status]), [["eu-west-1", "InSync"]]);

      const rd = await eu.send(new DescribeSecretCommand({ SecretId: "repl/app" }));
      assert.equal(rd.PrimaryRegion, "us-east-1");
      assert.equal(rd.ARN, primary.ARN!.replace(":us-east-1:", ":eu-west-1:"), "same name and suffix in the replica region");
      assert.equal(rd.Description, "primary");
      assert.equal((await eu.send(new GetSecretValueCommand({ SecretId: "repl/app" }))).SecretString, "p1");
      assert.equal((await eu.send(new GetSecretValueCommand({ SecretId: rd.ARN }))).VersionId, primary.VersionId);

      // Writes in the replica region are refused.
      const writes: [string, () => Promise<unknown>][] = [
        ["PutSecretValue", () => eu.send(new PutSecretValueCommand({ SecretId: "repl/app", SecretString: "no" }))],
        ["UpdateSecret", () => eu.send(new UpdateSecretCommand({ SecretId: "repl/app", Description: "no" }))],
        ["TagResource", () => eu.send(new TagResourceCommand({ SecretId: "repl/app", Tags: [{ Key: "x", Value: "y" }] }))],
        ["UntagResource", () => eu.send(new UntagResourceCommand({ SecretId: "repl/app", TagKeys: ["k"] }))],
        ["DeleteSecret", () => eu.send(new DeleteSecretCommand({ SecretId: "repl/app" }))],
        ["UpdateSecretVersionStage", () => eu.send(new UpdateSecretVersionStageCommand({ SecretId: "repl/app", VersionStage: "X", MoveToVersionId: primary.VersionId }))],
        ["PutResourcePolicy", () => eu.send(new PutResourcePolicyCommand({ SecretId: "repl/app", ResourcePolicy: JSON.stringify({ Statement: [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*" }] }) }))],
      ];
      for (const [op, call] of writes) {
        await rejects(call(), "InvalidParameterException", MSG.replicaWrite).catch((e: Error) => assert.fail(`${op}: ${e.message}`));
      }
      assert.equal((await eu.send(new GetSecretValueCommand({ SecretId: "repl/app" }))).SecretString, "p1", "refused writes changed nothing");

      // Writes to the primary are visible in the replica at once.
      await c.send(new UpdateSecretCommand({ SecretId: "repl/app", Description: "changed" }));
      await c.send(new TagResourceCommand({ SecretId: "repl/app", Tags: [{ Key: "k2", Value: "v2" }] }));
      const p2 = await c.send(new PutSecretValueCommand({ SecretId: "repl/app", SecretString: "p2" }));
      const rd2 = await eu.send(new DescribeSecretCommand({ SecretId: "repl/app" }));
      assert.equal(rd2.Description, "changed");
      assert.deepEqual(rd2.Tags, [
        { Key: "k", Value: "v" },
        { Key: "k2", Value: "v2" },
      ]);
      assert.deepEqual(rd2.VersionIdsToStages, { [primary.VersionId!]: ["AWSPREVIOUS"], [p2.VersionId!]: ["AWSCURRENT"] });
      const rv = await eu.send(new GetSecretValueCommand({ SecretId: "repl/app" }));
      assert.equal(rv.SecretString, "p2");
      assert.equal(rv.VersionId, p2.VersionId);

      // A primary with replicas can't be deleted (moto wording).
      await rejects(c.send(new DeleteSecretCommand({ SecretId: "repl/app" })), "InvalidParameterException", /still has replica regions \[eu-west-1\]/);
      // Replicating to a region it is already in is refused.
      await rejects(c.send(new ReplicateSecretToRegionsCommand({ SecretId: "repl/app", AddReplicaRegions: [{ Region: "eu-west-1" }] })), "InvalidParameterException");

      const removed = await c.send(new RemoveRegionsFromReplicationCommand({ SecretId: "repl/app", RemoveReplicaRegions: ["eu-west-1"] }));
      assert.deepEqual(removed.ReplicationStatus, []);
      await rejects(eu.send(new DescribeSecretCommand({ SecretId: "repl/app" })), "ResourceNotFoundException", MSG.notFound);
      const after = await c.send(new DescribeSecretCommand({ SecretId: "repl/app" }));
      assert.equal(after.PrimaryRegion, undefined, "no longer part of replication");
      assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "repl/app" }))).SecretString, "p2", "the primary is untouched");
      // Now it can be deleted.
      await c.send(new DeleteSecretCommand({ SecretId: "repl/app", ForceDeleteWithoutRecovery: true }));
    } finally {
      eu.destroy();
    }
  });

  test("a name taken in the target region makes that replica Failed", async () => {
    const ap = smClient(s.endpoint, { region: "ap-northeast-1" });
    try {
      await ap.send(new CreateSecretCommand({ Name: "repl/clash", SecretString: "local" }));
      await c.send(new CreateSecretCommand({ Name: "repl/clash", SecretString: "primary" }));
      const r = await c.send(new ReplicateSecretToRegionsCommand({ SecretId: "repl/clash", AddReplicaRegions: [{ Region: "ap-northeast-1" }] }));
      assert.equal(r.ReplicationStatus![0]!.Status, "Failed");
      assert.equal((await ap.send(new GetSecretValueCommand({ SecretId: "repl/clash" }))).SecretString, "local", "the existing secret is untouched");
    } finally {
      ap.destroy();
    }
  });

  test("StopReplicationToReplica promotes the replica with its versions", async () => {
    const ap = smClient(s.endpoint, { region: "ap-southeast-2" });
    try {
      const v1 = (await c.send(new CreateSecretCommand({ Name: "repl/promote", SecretString: "one" }))).VersionId!;
      const v2 = (await c.send(new PutSecretValueCommand({ SecretId: "repl/promote", SecretBinary: Uint8Array.from([0, 1, 255]) }))).VersionId!;
      await c.send(new ReplicateSecretToRegionsCommand({ SecretId: "repl/promote", AddReplicaRegions: [{ Region: "ap-southeast-2", KmsKeyId: "alias/ap-key" }] }));
      const rd = await ap.send(new DescribeSecretCommand({ SecretId: "repl/promote" }));
      assert.equal(rd.KmsKeyId, "alias/ap-key", "the replica's own KMS key");
      // Only a replica can be promoted.
      await rejects(c.send(new StopReplicationToReplicaCommand({ SecretId: "repl/promote" })), "InvalidRequestException");

      const stopped = await ap.send(new StopReplicationToReplicaCommand({ SecretId: "repl/promote" }));
      assert.equal(stopped.ARN, rd.ARN);
      const pd = await ap.send(new DescribeSecretCommand({ SecretId: "repl/promote" }));
      assert.equal(pd.PrimaryRegion, undefined, "standalone now");
      assert.deepEqual(pd.VersionIdsToStages, { [v1]: ["AWSPREVIOUS"], [v2]: ["AWSCURRENT"] });
      assert.equal((await ap.send(new GetSecretValueCommand({ SecretId: "repl/promote", VersionId: v1 }))).SecretString, "one");
      assert.deepEqual(Buffer.from((await ap.send(new GetSecretValueCommand({ SecretId: "repl/promote" }))).SecretBinary!), Buffer.from([0, 1, 255]));
      // The primary forgot the replica; writes on each side are independent.
      const prim = await c.send(new DescribeSecretCommand({ SecretId: "repl/promote" }));
      assert.deepEqual(prim.ReplicationStatus ?? [], []);
      await ap.send(new PutSecretValueCommand({ SecretId: "repl/promote", SecretString: "ap-only" }));
      await c.send(new PutSecretValueCommand({ SecretId: "repl/promote", SecretString: "us-only" }));
      assert.equal((await ap.send(new GetSecretValueCommand({ SecretId: "repl/promote" }))).SecretString, "ap-only");
      assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "repl/promote" }))).SecretString, "us-only");
    } finally {
      ap.destroy();
    }
  });
});

describe("credentials", () => {
  test("a wrong secret key is InvalidSignatureException; an unknown key is UnrecognizedClientException", async () => {
    const wrong = smClient(s.endpoint, { secret: "not-the-right-secret-access-key-000000000" });
    const unknown = smClient(s.endpoint, { key: "KSAKUNKNOWNKEY000001" });
    try {
      await rejects(wrong.send(new ListSecretsCommand({})), "InvalidSignatureException", /signature we calculated does not match/);
      await rejects(unknown.send(new ListSecretsCommand({})), "UnrecognizedClientException", MSG.badToken);
      await rejects(wrong.send(new CreateSecretCommand({ Name: "auth/nope", SecretString: "x" })), "InvalidSignatureException");
      await rejects(c.send(new DescribeSecretCommand({ SecretId: "auth/nope" })), "ResourceNotFoundException", MSG.notFound);
    } finally {
      wrong.destroy();
      unknown.destroy();
    }
  });
});

describe("ListSecrets (own server, so that the listing is known exactly)", () => {
  let ls: TestServer;
  let lc: SecretsManagerClient;
  let offset = 0;
  const names: string[] = [];

  before(async () => {
    ls = await startTestServer({ clock: () => Date.now() + offset });
    lc = pinnedClient(ls.endpoint, () => offset);
    // One second apart, so that CreatedDate orders them.
    const seed: [string, { Description?: string; Tags?: { Key: string; Value: string }[] }][] = [
      ["alpha/one", { Description: "Payments database password", Tags: [{ Key: "Env", Value: "prod" }] }],
      ["alpha/two", { Description: "reporting key", Tags: [{ Key: "Env", Value: "dev" }, { Key: "Team", Value: "data" }] }],
      ["beta-three", {}],
      ["Gamma", { Description: "payments api", Tags: [{ Key: "Owner", Value: "alice" }] }],
    ];
    for (const [name, extra] of seed) {
      offset += 1000;
      await lc.send(new CreateSecretCommand({ Name: name, SecretString: name, ...extra }));
      names.push(name);
    }
    for (let i = 0; i < 12; i++) {
      offset += 1000;
      const name = `page-${String(i).padStart(2, "0")}`;
      await lc.send(new CreateSecretCommand({ Name: name, SecretString: `p${i}` }));
      names.push(name);
    }
    offset += 1000;
    await lc.send(new CreateSecretCommand({ Name: "zeta/replicated", SecretString: "r" }));
    await lc.send(new ReplicateSecretToRegionsCommand({ SecretId: "zeta/replicated", AddReplicaRegions: [{ Region: "us-west-2" }] }));
    names.push("zeta/replicated");
  });
  after(async () => {
    lc?.destroy();
    await ls?.close();
  });

  const names_ = async (input: ListSecretsCommandInput) => (await listAll(lc, input)).secrets.map((x) => x.Name!);
  const f = (Key: Filter["Key"], ...Values: string[]): Filter => ({ Key, Values });

  test("every filter key, negation and AND-ed filters", async () => {
    const sorted = async (...filters: Filter[]) => (await names_({ Filters: filters })).sort();
    assert.deepEqual(await sorted(f("name", "alpha")), ["alpha/one", "alpha/two"]);
    assert.equal((await sorted(f("name", "!page-", "!zzz"))).length, names.length, "values are OR-ed: every name fails one prefix");
    assert.deepEqual(await sorted(f("name", "!page-")), ["Gamma", "alpha/one", "alpha/two", "beta-three", "zeta/replicated"]);
    assert.deepEqual(await sorted(f("name", "gamma")), [], "name is case-sensitive");
    assert.deepEqual(await sorted(f("description", "PAYMENTS")), ["Gamma", "alpha/one"], "description: words, case-insensitive");
    assert.deepEqual(await sorted(f("tag-key", "Team")), ["alpha/two"]);
    assert.deepEqual(await sorted(f("tag-key", "Env")), ["alpha/one", "alpha/two"]);
    assert.deepEqual(await sorted(f("tag-value", "prod")), ["alpha/one"]);
    assert.deepEqual(await sorted(f("tag-value", "!prod")), ["Gamma", "alpha/two"], "negation needs an attribute that does not match");
    assert.deepEqual(await sorted(f("all", "alice")), ["Gamma"]);
    assert.deepEqual(await sorted(f("all", "reporting")), ["alpha/two"]);
    assert.deepEqual(await sorted(f("primary-region", "us-east-1")), ["zeta/replicated"]);
    assert.deepEqual(await sorted(f("primary-region", "eu-")), []);
    assert.deepEqual(await sorted(f("owning-service", "rds")), [], "no secret here is owned by a service");
    assert.deepEqual(await sorted(f("name", "alpha"), f("tag-value", "dev")), ["alpha/two"], "filters are AND-ed");
    assert.deepEqual(await sorted(f("name", "alpha"), f("tag-key", "Owner")), []);
  });

  test("SortOrder by CreatedDate and SortBy name", async () => {
    const asc = await names_({ SortOrder: "asc" });
    assert.deepEqual(asc, names, "default sort is CreatedDate, oldest first");
    assert.deepEqual(await names_({ SortOrder: "desc" }), [...names].reverse());
    const byName = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(await names_({ SortBy: "name", SortOrder: "asc" }), byName);
    assert.deepEqual(await names_({ SortBy: "name", SortOrder: "desc" }), [...byName].reverse());
  });

  test("MaxResults and NextToken page through every secret exactly once", async () => {
    const all = await listAll(lc, { MaxResults: 3 });
    assert.ok(all.pages.length > 1, "more than one page");
    assert.equal(all.pages[0], 3);
    assert.ok(all.pages.every((n) => n <= 3));
    assert.deepEqual(all.secrets.map((x) => x.Name), names);
    const filtered = await listAll(lc, { MaxResults: 5, Filters: [f("name", "page-")], SortOrder: "desc" });
    assert.ok(filtered.pages.length >= 3);
    assert.deepEqual(filtered.secrets.map((x) => x.Name), names.filter((n) => n.startsWith("page-")).reverse());
    const entry = all.secrets.find((x) => x.Name === "alpha/two")!;
    assert.deepEqual(entry.Tags, [{ Key: "Env", Value: "dev" }, { Key: "Team", Value: "data" }]);
    assert.equal(entry.Description, "reporting key");
    assert.equal(Object.values(entry.SecretVersionsToStages ?? {}).flat().join(), "AWSCURRENT");
    await rejects(lc.send(new ListSecretsCommand({ NextToken: "garbage-token" })), "InvalidNextTokenException");
  });

  test("BatchGetSecretValue with Filters pages with MaxResults and NextToken", async () => {
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const r = await lc.send(new BatchGetSecretValueCommand({ Filters: [f("name", "page-")], MaxResults: 5, NextToken }));
      pages++;
      assert.ok(r.SecretValues!.length <= 5);
      assert.deepEqual(r.Errors ?? [], []);
      for (const v of r.SecretValues!) {
        assert.equal(v.SecretString, `p${Number(v.Name!.slice(5))}`);
        seen.push(v.Name!);
      }
      NextToken = r.NextToken;
    } while (NextToken && pages < 50);
    assert.ok(pages >= 3, "paged");
    assert.deepEqual(seen.sort(), names.filter((n) => n.startsWith("page-")));
  });

  test("IncludePlannedDeletion lists secrets scheduled for deletion", async () => {
    await lc.send(new DeleteSecretCommand({ SecretId: "beta-three", RecoveryWindowInDays: 7 }));
    try {
      assert.ok(!(await names_({})).includes("beta-three"), "hidden by default");
      const withDeleted = (await listAll(lc, { IncludePlannedDeletion: true })).secrets;
      const entry = withDeleted.find((x) => x.Name === "beta-three");
      assert.ok(entry, "listed with IncludePlannedDeletion");
      assert.ok(entry.DeletedDate instanceof Date);
      assert.equal(withDeleted.length, names.length);
    } finally {
      await lc.send(new RestoreSecretCommand({ SecretId: "beta-three" }));
    }
  });
});

/** An SDK client whose signing clock follows a test server's injected clock (the SDK would otherwise re-sync to the real Date header). */
function pinnedClient(endpoint: string, offset: () => number, region?: string): SecretsManagerClient {
  const client = smClient(endpoint, region ? { region } : {});
  client.middlewareStack.add(
    (next) => async (args) => {
      client.config.systemClockOffset = offset();
      return next(args);
    },
    { step: "build", name: "pinSigningClock" },
  );
  return client;
}

describe("time: LastAccessedDate, the recovery-window purge and the version purge", () => {
  let ts: TestServer;
  let tc: SecretsManagerClient;
  let offset = 0;
  before(async () => {
    ts = await startTestServer({ clock: () => Date.now() + offset });
    tc = pinnedClient(ts.endpoint, () => offset);
  });
  after(async () => {
    tc?.destroy();
    await ts?.close();
  });

  test("LastAccessedDate is the UTC midnight of the last read", async () => {
    const v1 = (await tc.send(new CreateSecretCommand({ Name: "time/accessed", SecretString: "x" }))).VersionId!;
    assert.equal((await tc.send(new DescribeSecretCommand({ SecretId: "time/accessed" }))).LastAccessedDate, undefined);
    await tc.send(new DescribeSecretCommand({ SecretId: "time/accessed" }));
    assert.equal((await tc.send(new DescribeSecretCommand({ SecretId: "time/accessed" }))).LastAccessedDate, undefined, "DescribeSecret is not an access");
    const before = midnight(Date.now() + offset);
    await tc.send(new GetSecretValueCommand({ SecretId: "time/accessed" }));
    const afterDay = midnight(Date.now() + offset);
    const la = (await tc.send(new DescribeSecretCommand({ SecretId: "time/accessed" }))).LastAccessedDate!.getTime();
    assert.ok(la === before || la === afterDay, `LastAccessedDate ${new Date(la).toISOString()} is midnight UTC of the read`);
    const vla = (await allVersions(tc, "time/accessed")).find((v) => v.VersionId === v1)!.LastAccessedDate!.getTime();
    assert.equal(vla, la, "the version's LastAccessedDate too");

    offset += 2 * DAY;
    const before2 = midnight(Date.now() + offset);
    await tc.send(new GetSecretValueCommand({ SecretId: "time/accessed" }));
    const after2 = midnight(Date.now() + offset);
    const la2 = (await tc.send(new DescribeSecretCommand({ SecretId: "time/accessed" }))).LastAccessedDate!.getTime();
    assert.ok(la2 === before2 || la2 === after2, `LastAccessedDate ${new Date(la2).toISOString()} moved to the midnight of the new read`);
    assert.ok(la2 > la);
  });

  test("a secret is purged when its recovery window ends, not before", async () => {
    const first = await tc.send(new CreateSecretCommand({ Name: "time/purge", SecretString: "x" }));
    const del = await tc.send(new DeleteSecretCommand({ SecretId: "time/purge", RecoveryWindowInDays: 7 }));
    const due = del.DeletionDate!.getTime();
    offset = due - Date.now() - 60_000;
    await ts.app.purgeNow();
    const d = await tc.send(new DescribeSecretCommand({ SecretId: "time/purge" }));
    assert.ok(d.DeletedDate instanceof Date, "still there a minute before the window ends");
    await tc.send(new RestoreSecretCommand({ SecretId: "time/purge" }));
    await ts.app.purgeNow();
    assert.equal((await tc.send(new GetSecretValueCommand({ SecretId: "time/purge" }))).SecretString, "x", "a restored secret is not purged");

    const del2 = await tc.send(new DeleteSecretCommand({ SecretId: "time/purge", RecoveryWindowInDays: 7 }));
    offset = del2.DeletionDate!.getTime() - Date.now() + 60_000;
    await ts.app.purgeNow();
    await rejects(tc.send(new DescribeSecretCommand({ SecretId: "time/purge" })), "ResourceNotFoundException", MSG.notFound);
    await rejects(tc.send(new GetSecretValueCommand({ SecretId: first.ARN })), "ResourceNotFoundException", MSG.notFound);
    const again = await tc.send(new CreateSecretCommand({ Name: "time/purge", SecretString: "new" }));
    assert.notEqual(again.ARN, first.ARN);
  });

  test("unlabeled versions beyond 100 are purged only once older than 24 h", async () => {
    const name = "time/versions";
    const v0 = (await tc.send(new CreateSecretCommand({ Name: name, SecretString: "v0" }))).VersionId!;
    await tc.send(new UpdateSecretVersionStageCommand({ SecretId: name, VersionStage: "KEEP", MoveToVersionId: v0 }));
    const ids = [v0];
    for (let i = 1; i <= 101; i++) {
      offset += 5; // distinct CreatedDates, so that "oldest first" is well defined
      ids.push((await tc.send(new PutSecretValueCommand({ SecretId: name, SecretString: `v${i}` }))).VersionId!);
    }
    let versions = await allVersions(tc, name);
    assert.equal(versions.length, 102, "nothing purged while every version is younger than 24 h");

    offset += 23 * HOUR;
    ids.push((await tc.send(new PutSecretValueCommand({ SecretId: name, SecretString: "v102" }))).VersionId!);
    versions = await allVersions(tc, name);
    assert.equal(versions.length, 103, "23 h later: still nothing old enough");

    offset += 2 * HOUR;
    ids.push((await tc.send(new PutSecretValueCommand({ SecretId: name, SecretString: "v103" }))).VersionId!);
    versions = await allVersions(tc, name);
    const left = new Set(versions.map((v) => v.VersionId));
    assert.equal(versions.length, 100, "back to 100 versions");
    assert.ok(left.has(v0), "a labeled version is never purged");
    for (const gone of ids.slice(1, 5)) assert.ok(!left.has(gone), `the oldest unlabeled versions went first (${gone})`);
    for (const kept of ids.slice(5)) assert.ok(left.has(kept), `younger versions stay (${kept})`);
    await rejects(tc.send(new GetSecretValueCommand({ SecretId: name, VersionId: ids[1] })), "ResourceNotFoundException", MSG.versionNotFound(ids[1]!));
    assert.equal((await tc.send(new GetSecretValueCommand({ SecretId: name, VersionId: ids[5] }))).SecretString, "v5");
    assert.equal((await tc.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, "v103");
    assert.equal((await tc.send(new GetSecretValueCommand({ SecretId: name, VersionStage: "KEEP" }))).SecretString, "v0");
  });
});
