/**
 * Condition keys and resource-policy operations end to end, with the real AWS SDK against a
 * running server: each policy below allows or denies through one condition key the request
 * really carries, and PutResourcePolicy / ValidateResourcePolicy analyse policies as AWS does.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  TagResourceCommand,
  ValidateResourcePolicyCommand,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

let server: TestServer;
let admin: SecretsManagerClient;
const adminEnv = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };
const ARN = (name: string) => `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:${name}`;
let n = 0;

async function userWith(statements: unknown[], tags: Record<string, string> = {}): Promise<SecretsManagerClient> {
  const user = `cond-${++n}`;
  const flags = { endpointUrl: server.endpoint };
  await callApi(flags, "POST", "/v1/iam/accounts/self/users", { UserName: user, Tags: tags }, adminEnv);
  await callApi(flags, "PUT", `/v1/iam/accounts/self/users/${user}/policies/p`, { PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) }, adminEnv);
  const k = (await callApi(flags, "POST", `/v1/iam/accounts/self/users/${user}/access-keys`, undefined, adminEnv)) as { AccessKeyId: string; SecretAccessKey: string };
  return smClient(server.endpoint, { key: k.AccessKeyId, secret: k.SecretAccessKey });
}

const denied = (p: Promise<unknown>) => assert.rejects(p, { name: "AccessDeniedException" });

before(async () => {
  server = await startTestServer();
  admin = smClient(server.endpoint);
  await admin.send(new CreateSecretCommand({ Name: "/prod/team-a/db", SecretString: "a", Tags: [{ Key: "team", Value: "a" }] }));
  await admin.send(new CreateSecretCommand({ Name: "/prod/team-b/db", SecretString: "b", Tags: [{ Key: "team", Value: "b" }] }));
});
after(async () => server?.close());

describe("condition keys the requests carry", () => {
  test("ABAC: aws:PrincipalTag matched against secretsmanager:ResourceTag through a policy variable", async () => {
    const c = await userWith([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}" } } }], { team: "a" });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "/prod/team-a/db" }))).SecretString, "a");
    await denied(c.send(new GetSecretValueCommand({ SecretId: "/prod/team-b/db" })));
  });

  test("aws:SourceIp and aws:SecureTransport", async () => {
    const local = await userWith([{ Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "127.0.0.0/8" } } }]);
    await local.send(new DescribeSecretCommand({ SecretId: "/prod/team-a/db" }));
    const remote = await userWith([{ Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } }]);
    await denied(remote.send(new DescribeSecretCommand({ SecretId: "/prod/team-a/db" })));
    // The test server speaks plain HTTP: a policy that demands TLS denies.
    const tlsOnly = await userWith([
      { Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: "*" },
      { Effect: "Deny", Action: "*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ]);
    await denied(tlsOnly.send(new DescribeSecretCommand({ SecretId: "/prod/team-a/db" })));
  });

  test("aws:CurrentTime / aws:EpochTime and aws:RequestedRegion", async () => {
    const expired = await userWith([{ Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } } }]);
    await denied(expired.send(new DescribeSecretCommand({ SecretId: "/prod/team-a/db" })));
    const valid = await userWith([{ Effect: "Allow", Action: "secretsmanager:DescribeSecret", Resource: "*", Condition: { NumericGreaterThan: { "aws:EpochTime": 1577836800 }, StringEquals: { "aws:RequestedRegion": TEST_REGION } } }]);
    await valid.send(new DescribeSecretCommand({ SecretId: "/prod/team-a/db" }));
  });

  test("secretsmanager:VersionStage: AWSCURRENT only, not AWSPREVIOUS", async () => {
    await admin.send(new PutSecretValueCommand({ SecretId: "/prod/team-a/db", SecretString: "a2" }));
    const c = await userWith([{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } } }]);
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "/prod/team-a/db" }))).SecretString, "a2");
    await denied(c.send(new GetSecretValueCommand({ SecretId: "/prod/team-a/db", VersionStage: "AWSPREVIOUS" })));
  });

  test("aws:RequestTag and aws:TagKeys on CreateSecret and TagResource (ForAllValues)", async () => {
    const c = await userWith([
      {
        Effect: "Allow",
        Action: ["secretsmanager:CreateSecret", "secretsmanager:TagResource"],
        Resource: ARN("/dev/*"),
        Condition: { StringEquals: { "aws:RequestTag/team": "a" }, "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env"] } },
      },
    ]);
    await c.send(new CreateSecretCommand({ Name: "/dev/tagged", SecretString: "x", Tags: [{ Key: "team", Value: "a" }, { Key: "env", Value: "dev" }] }));
    await denied(c.send(new CreateSecretCommand({ Name: "/dev/untagged", SecretString: "x" })));
    await denied(c.send(new CreateSecretCommand({ Name: "/dev/other-team", SecretString: "x", Tags: [{ Key: "team", Value: "b" }] })));
    await denied(c.send(new CreateSecretCommand({ Name: "/dev/extra-key", SecretString: "x", Tags: [{ Key: "team", Value: "a" }, { Key: "cost", Value: "1" }] })));
    await denied(c.send(new TagResourceCommand({ SecretId: "/dev/tagged", Tags: [{ Key: "team", Value: "b" }] })));
  });

  test("secretsmanager:ForceDeleteWithoutRecovery and RecoveryWindowInDays", async () => {
    await admin.send(new CreateSecretCommand({ Name: "/dev/deletable", SecretString: "x" }));
    const c = await userWith([
      { Effect: "Allow", Action: "secretsmanager:DeleteSecret", Resource: "*", Condition: { NumericGreaterThanEquals: { "secretsmanager:RecoveryWindowInDays": 14 } } },
      { Effect: "Deny", Action: "secretsmanager:DeleteSecret", Resource: "*", Condition: { Bool: { "secretsmanager:ForceDeleteWithoutRecovery": "true" } } },
    ]);
    await denied(c.send(new DeleteSecretCommand({ SecretId: "/dev/deletable", ForceDeleteWithoutRecovery: true })));
    await denied(c.send(new DeleteSecretCommand({ SecretId: "/dev/deletable", RecoveryWindowInDays: 7 })));
    const d = await c.send(new DeleteSecretCommand({ SecretId: "/dev/deletable", RecoveryWindowInDays: 30 }));
    assert.ok(d.DeletionDate);
  });

  test("secretsmanager:RotationLambdaARN", async () => {
    const random = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;
    const c = await userWith([{ Effect: "Allow", Action: "secretsmanager:RotateSecret", Resource: "*", Condition: { ArnLike: { "secretsmanager:RotationLambdaARN": "arn:aws:lambda:*:*:function:keyshift-postgres-*" } } }]);
    await denied(c.send(new RotateSecretCommand({ SecretId: "/prod/team-b/db", RotationLambdaARN: random, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: false })));
  });
});

describe("resource policies", () => {
  const publicPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }] });

  test("BlockPublicPolicy refuses a policy that grants everyone; a condition on the account narrows it", async () => {
    await assert.rejects(admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: publicPolicy, BlockPublicPolicy: true })), { name: "PublicPolicyException" });
    const narrowed = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "aws:PrincipalAccount": TEST_ACCOUNT } } }],
    });
    await admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: narrowed, BlockPublicPolicy: true }));
    // Without BlockPublicPolicy the public policy is stored (AWS's behaviour).
    await admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-b/db", ResourcePolicy: publicPolicy }));
  });

  test("a malformed policy is refused with a message pointing at the problem", async () => {
    const bad = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEqualz: { "aws:username": "x" } } }] });
    await assert.rejects(admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: bad })), (e: Error) => e.name === "MalformedPolicyDocumentException" && /StringEqualz/.test(e.message));
    await assert.rejects(admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: "{not json" })), { name: "MalformedPolicyDocumentException" });
    const noPrincipal = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }] });
    await assert.rejects(admin.send(new PutResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: noPrincipal })), (e: Error) => e.name === "MalformedPolicyDocumentException" && /Principal/.test(e.message));
  });

  test("ValidateResourcePolicy reports syntax errors, broad access and a lock-out", async () => {
    const v = (policy: string) => admin.send(new ValidateResourcePolicyCommand({ SecretId: "/prod/team-a/db", ResourcePolicy: policy }));
    const ok = await v(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:user/admin` }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }));
    assert.equal(ok.PolicyValidationPassed, true);
    assert.deepEqual(ok.ValidationErrors, []);
    const syntax = await v('{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"*","Resource":"*"}]}');
    assert.equal(syntax.PolicyValidationPassed, false);
    assert.equal(syntax.ValidationErrors![0]!.CheckName, "SYNTAX_CHECK");
    assert.match(syntax.ValidationErrors![0]!.ErrorMessage!, /Effect/);
    const broad = await v(publicPolicy);
    assert.equal(broad.PolicyValidationPassed, false);
    assert.deepEqual(broad.ValidationErrors!.map((e) => e.CheckName), ["BROAD_ACCESS_CHECK"]);
    const lockout = await v(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:user/admin` }, Action: "secretsmanager:*", Resource: "*" }] }));
    assert.equal(lockout.PolicyValidationPassed, false);
    assert.deepEqual(lockout.ValidationErrors!.map((e) => e.CheckName), ["LOCK_OUT_CHECK"]);
  });

  test("access keys record their last use", async () => {
    const flags = { endpointUrl: server.endpoint };
    const keys = (await callApi(flags, "GET", "/v1/iam/accounts/self/users/admin/access-keys", undefined, adminEnv)) as { AccessKeys: { AccessKeyId: string; LastUsedDate?: number }[] };
    const mine = keys.AccessKeys.find((k) => k.AccessKeyId === TEST_KEY_ID)!;
    assert.ok(mine.LastUsedDate && Math.abs(mine.LastUsedDate * 1000 - Date.now()) < 300_000, "LastUsedDate is recent");
  });
});
