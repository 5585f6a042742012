/**
 * The authorization matrix, against a running server with the real AWS SDK: for each of the 23
 * operations, a user whose policy allows exactly that action succeeds, and a user whose policy
 * allows everything but that action gets AccessDeniedException with AWS's message, and nothing in
 * the store changes. Then a second account tries to reach the first account's secrets by name, by
 * ARN, through ListSecrets and BatchGetSecretValue, and cross-account access through a resource
 * policy needs both sides to allow.
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
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { TEST_ACCOUNT, TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";

const REPLICA_REGION = "eu-west-1";
const RANDOM_FN = `arn:aws:lambda:${TEST_REGION}:${TEST_ACCOUNT}:function:keyshift-random-password`;

let server: TestServer;
let admin: SecretsManagerClient;
const adminEnv = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET };

function iam(method: string, path: string, body?: unknown, env: NodeJS.ProcessEnv = adminEnv): Promise<unknown> {
  return callApi({ endpointUrl: server.endpoint }, method, path, body, env);
}

async function createUser(account: string, user: string, o: { admin?: boolean } = {}): Promise<{ key: string; secret: string }> {
  await iam("POST", `/v1/iam/accounts/${account}/users`, { UserName: user, Admin: o.admin === true });
  const k = (await iam("POST", `/v1/iam/accounts/${account}/users/${user}/access-keys`)) as { AccessKeyId: string; SecretAccessKey: string };
  return { key: k.AccessKeyId, secret: k.SecretAccessKey };
}

async function setPolicy(account: string, user: string, statements: unknown[]): Promise<void> {
  await iam("PUT", `/v1/iam/accounts/${account}/users/${user}/policies/matrix`, { PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });
}

/** Everything an operation could change, read by the administrator (dates that reads move are left out). */
async function fingerprint(): Promise<string> {
  const out: unknown[] = [];
  for (const region of [TEST_REGION, REPLICA_REGION]) {
    const c = smClient(server.endpoint, { region });
    const list = await c.send(new ListSecretsCommand({ IncludePlannedDeletion: true, MaxResults: 100 }));
    for (const s of list.SecretList ?? []) {
      const d = await c.send(new DescribeSecretCommand({ SecretId: s.ARN }));
      const v = await c.send(new ListSecretVersionIdsCommand({ SecretId: s.ARN, IncludeDeprecated: true }));
      const p = await c.send(new GetResourcePolicyCommand({ SecretId: s.ARN }));
      const { $metadata: _m, LastAccessedDate: _a, ...desc } = d;
      out.push({ region, desc, versions: (v.Versions ?? []).map(({ LastAccessedDate: _x, ...rest }) => rest), policy: p.ResourcePolicy });
    }
  }
  return JSON.stringify(out);
}

interface Fixture {
  arn: string;
  name: string;
  versionId?: string;
}

interface Row {
  op: string;
  /** Actions the allowed user needs (default: the operation's own). */
  actions?: string[];
  /** The resource of the allowing policy: the fixture's ARN (default) or "*". */
  anyResource?: boolean;
  /** The allowing statements, when one statement on the fixture does not describe them. */
  statements?: (f: Fixture) => unknown[];
  /** Which region's client calls. */
  region?: string;
  /** Admin-side preparation; returns the fixture to act on. */
  setup?: (f: Fixture) => Promise<void>;
  call: (c: SecretsManagerClient, f: Fixture) => Promise<unknown>;
  check?: (result: unknown, f: Fixture) => void;
}

const policyDoc = (name: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` }, Action: "secretsmanager:GetSecretValue", Resource: "*", Sid: name.replace(/\W/g, "") }] });

const ROWS: Row[] = [
  { op: "CreateSecret", call: (c, f) => c.send(new CreateSecretCommand({ Name: `${f.name}-new`, SecretString: "v" })), setup: async () => {} },
  { op: "GetSecretValue", call: (c, f) => c.send(new GetSecretValueCommand({ SecretId: f.arn })), check: (r) => assert.equal((r as { SecretString: string }).SecretString, "initial") },
  {
    op: "BatchGetSecretValue",
    actions: ["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"],
    // BatchGetSecretValue has no resource; the values need GetSecretValue on each secret.
    statements: (f) => [{ Effect: "Allow", Action: "secretsmanager:BatchGetSecretValue", Resource: "*" }, { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: f.arn }],
    call: (c, f) => c.send(new BatchGetSecretValueCommand({ SecretIdList: [f.arn] })),
    check: (r) => assert.equal((r as { SecretValues: unknown[] }).SecretValues.length, 1),
  },
  { op: "PutSecretValue", call: (c, f) => c.send(new PutSecretValueCommand({ SecretId: f.arn, SecretString: "second" })) },
  { op: "UpdateSecret", call: (c, f) => c.send(new UpdateSecretCommand({ SecretId: f.arn, Description: "changed" })) },
  { op: "DescribeSecret", call: (c, f) => c.send(new DescribeSecretCommand({ SecretId: f.arn })) },
  { op: "ListSecrets", anyResource: true, call: (c) => c.send(new ListSecretsCommand({})) },
  { op: "ListSecretVersionIds", call: (c, f) => c.send(new ListSecretVersionIdsCommand({ SecretId: f.arn })) },
  {
    op: "UpdateSecretVersionStage",
    setup: async (f) => void (f.versionId = (await admin.send(new PutSecretValueCommand({ SecretId: f.arn, SecretString: "staged", VersionStages: ["STAGED"] }))).VersionId),
    call: (c, f) => c.send(new UpdateSecretVersionStageCommand({ SecretId: f.arn, VersionStage: "STAGED", RemoveFromVersionId: f.versionId })),
  },
  { op: "DeleteSecret", call: (c, f) => c.send(new DeleteSecretCommand({ SecretId: f.arn, RecoveryWindowInDays: 7 })) },
  { op: "RestoreSecret", setup: async (f) => void (await admin.send(new DeleteSecretCommand({ SecretId: f.arn }))), call: (c, f) => c.send(new RestoreSecretCommand({ SecretId: f.arn })) },
  { op: "TagResource", call: (c, f) => c.send(new TagResourceCommand({ SecretId: f.arn, Tags: [{ Key: "team", Value: "x" }] })) },
  {
    op: "UntagResource",
    setup: async (f) => void (await admin.send(new TagResourceCommand({ SecretId: f.arn, Tags: [{ Key: "team", Value: "x" }] }))),
    call: (c, f) => c.send(new UntagResourceCommand({ SecretId: f.arn, TagKeys: ["team"] })),
  },
  { op: "GetRandomPassword", anyResource: true, call: (c) => c.send(new GetRandomPasswordCommand({ PasswordLength: 20 })) },
  { op: "PutResourcePolicy", call: (c, f) => c.send(new PutResourcePolicyCommand({ SecretId: f.arn, ResourcePolicy: policyDoc(f.name) })) },
  {
    op: "GetResourcePolicy",
    setup: async (f) => void (await admin.send(new PutResourcePolicyCommand({ SecretId: f.arn, ResourcePolicy: policyDoc(f.name) }))),
    call: (c, f) => c.send(new GetResourcePolicyCommand({ SecretId: f.arn })),
  },
  {
    op: "DeleteResourcePolicy",
    setup: async (f) => void (await admin.send(new PutResourcePolicyCommand({ SecretId: f.arn, ResourcePolicy: policyDoc(f.name) }))),
    call: (c, f) => c.send(new DeleteResourcePolicyCommand({ SecretId: f.arn })),
  },
  {
    op: "ValidateResourcePolicy",
    actions: ["secretsmanager:ValidateResourcePolicy", "secretsmanager:PutResourcePolicy"],
    call: (c, f) => c.send(new ValidateResourcePolicyCommand({ SecretId: f.arn, ResourcePolicy: policyDoc(f.name) })),
  },
  { op: "ReplicateSecretToRegions", call: (c, f) => c.send(new ReplicateSecretToRegionsCommand({ SecretId: f.arn, AddReplicaRegions: [{ Region: REPLICA_REGION }] })) },
  {
    op: "RemoveRegionsFromReplication",
    setup: async (f) => void (await admin.send(new ReplicateSecretToRegionsCommand({ SecretId: f.arn, AddReplicaRegions: [{ Region: REPLICA_REGION }] }))),
    call: (c, f) => c.send(new RemoveRegionsFromReplicationCommand({ SecretId: f.arn, RemoveReplicaRegions: [REPLICA_REGION] })),
  },
  {
    op: "StopReplicationToReplica",
    region: REPLICA_REGION,
    setup: async (f) => void (await admin.send(new ReplicateSecretToRegionsCommand({ SecretId: f.arn, AddReplicaRegions: [{ Region: REPLICA_REGION }] }))),
    call: (c, f) => c.send(new StopReplicationToReplicaCommand({ SecretId: f.arn.replace(`:${TEST_REGION}:`, `:${REPLICA_REGION}:`) })),
  },
  {
    op: "RotateSecret",
    call: (c, f) => c.send(new RotateSecretCommand({ SecretId: f.arn, RotationLambdaARN: RANDOM_FN, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: false })),
  },
  {
    op: "CancelRotateSecret",
    setup: async (f) =>
      void (await admin.send(new RotateSecretCommand({ SecretId: f.arn, RotationLambdaARN: RANDOM_FN, RotationRules: { AutomaticallyAfterDays: 30 }, RotateImmediately: false }))),
    call: (c, f) => c.send(new CancelRotateSecretCommand({ SecretId: f.arn })),
  },
];

async function freshSecret(tag: string): Promise<Fixture> {
  const name = `/prod/matrix/${tag}-${randomUUID().slice(0, 8)}`;
  const r = await admin.send(new CreateSecretCommand({ Name: name, SecretString: "initial" }));
  return { arn: r.ARN!, name };
}

/** The ARN pattern a policy names for the fixture (a secret ARN ends in a random suffix). */
const resourceOf = (row: Row, f: Fixture) => (row.anyResource ? "*" : row.op === "CreateSecret" ? `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:${f.name}-new*` : `${f.arn.replace(`:${TEST_REGION}:`, ":*:")}`);

before(async () => {
  server = await startTestServer();
  admin = smClient(server.endpoint);
});
after(async () => server?.close());

describe("authorization matrix: the 23 operations", () => {
  let allowed: { key: string; secret: string };
  let denied: { key: string; secret: string };
  before(async () => {
    allowed = await createUser("self", "allowed");
    denied = await createUser("self", "denied");
  });

  assert.equal(ROWS.length, 23);
  for (const row of ROWS) {
    test(row.op, async () => {
      const actions = row.actions ?? [`secretsmanager:${row.op}`];

      // Allowed: a policy naming exactly this action (and this secret) suffices.
      const f1 = await freshSecret(`${row.op}-ok`);
      await row.setup?.(f1);
      await setPolicy("self", "allowed", row.statements?.(f1) ?? [{ Effect: "Allow", Action: actions, Resource: resourceOf(row, f1) }]);
      const r = await row.call(smClient(server.endpoint, { key: allowed.key, secret: allowed.secret, ...(row.region ? { region: row.region } : {}) }), f1);
      row.check?.(r, f1);

      // Denied: everything but this action is allowed; the answer is AccessDenied and nothing changes.
      const f2 = await freshSecret(`${row.op}-no`);
      await row.setup?.(f2);
      await setPolicy("self", "denied", [{ Effect: "Allow", NotAction: actions[0], Resource: "*" }]);
      const before = await fingerprint();
      const c = smClient(server.endpoint, { key: denied.key, secret: denied.secret, ...(row.region ? { region: row.region } : {}) });
      if (row.op === "BatchGetSecretValue") {
        // A denied item is reported in Errors; the call itself needs BatchGetSecretValue, which NotAction GetSecretValue leaves.
        await setPolicy("self", "denied", [{ Effect: "Allow", NotAction: "secretsmanager:GetSecretValue", Resource: "*" }]);
        const b = await c.send(new BatchGetSecretValueCommand({ SecretIdList: [f2.arn, f1.arn] }));
        assert.equal(b.SecretValues!.length, 0);
        assert.deepEqual(b.Errors!.map((e) => e.ErrorCode), ["AccessDeniedException", "AccessDeniedException"]);
        await setPolicy("self", "denied", [{ Effect: "Allow", NotAction: "secretsmanager:BatchGetSecretValue", Resource: "*" }]);
      }
      await assert.rejects(row.call(c, f2), (e: Error & { name: string }) => {
        assert.equal(e.name, "AccessDeniedException", `${row.op}: ${e.message}`);
        assert.match(e.message, new RegExp(`^User: arn:aws:iam::${TEST_ACCOUNT}:user/denied is not authorized to perform: ${actions[0]!.replace(/\W/g, "\\$&")} on resource: \\S+ because no identity-based policy allows the ${actions[0]!.replace(/\W/g, "\\$&")} action$`));
        return true;
      });
      assert.equal(await fingerprint(), before, `${row.op}: a denied call changed nothing`);
    });
  }

  test("BatchGetSecretValue reports the denied item and returns the rest", async () => {
    const mine = await freshSecret("batch-mine");
    const other = await freshSecret("batch-other");
    await setPolicy("self", "allowed", [{ Effect: "Allow", Action: ["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"], Resource: mine.arn }, { Effect: "Allow", Action: "secretsmanager:BatchGetSecretValue", Resource: "*" }]);
    const c = smClient(server.endpoint, { key: allowed.key, secret: allowed.secret });
    const b = await c.send(new BatchGetSecretValueCommand({ SecretIdList: [mine.arn, other.arn] }));
    assert.deepEqual(b.SecretValues!.map((v) => v.ARN), [mine.arn]);
    assert.deepEqual(b.Errors!.map((e) => [e.SecretId, e.ErrorCode]), [[other.arn, "AccessDeniedException"]]);
  });

  test("hierarchical names: a service reads its own path in one environment only", async () => {
    const own = await admin.send(new CreateSecretCommand({ Name: "/prod/github-integration/api/token", SecretString: "gh" }));
    const pay = await admin.send(new CreateSecretCommand({ Name: "/prod/payments/api/token", SecretString: "pay" }));
    const stg = await admin.send(new CreateSecretCommand({ Name: "/staging/github-integration/api/token", SecretString: "stg" }));
    const svc = await createUser("self", "github-integration");
    await setPolicy("self", "github-integration", [
      { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:/prod/\${aws:username}/*` },
    ]);
    const c = smClient(server.endpoint, { key: svc.key, secret: svc.secret });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: "/prod/github-integration/api/token" }))).SecretString, "gh");
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: own.ARN! }))).SecretString, "gh");
    for (const id of ["/prod/payments/api/token", pay.ARN!, "/staging/github-integration/api/token", stg.ARN!]) {
      await assert.rejects(c.send(new GetSecretValueCommand({ SecretId: id })), { name: "AccessDeniedException" });
    }
    // A name that does not exist is denied too: its existence is not revealed.
    await assert.rejects(c.send(new GetSecretValueCommand({ SecretId: "/prod/payments/nope" })), { name: "AccessDeniedException" });
    await assert.rejects(c.send(new ListSecretsCommand({})), { name: "AccessDeniedException" }, "ListSecrets needs secretsmanager:ListSecrets");
  });

  test("an explicit deny wins over the administrator's allow, and a resource policy can deny", async () => {
    const f = await freshSecret("deny");
    const boss = await createUser("self", "boss", { admin: true });
    const c = smClient(server.endpoint, { key: boss.key, secret: boss.secret });
    assert.equal((await c.send(new GetSecretValueCommand({ SecretId: f.arn }))).SecretString, "initial");
    await admin.send(
      new PutResourcePolicyCommand({
        SecretId: f.arn,
        ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:user/boss` }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }),
      }),
    );
    await assert.rejects(c.send(new GetSecretValueCommand({ SecretId: f.arn })), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /with an explicit deny in a resource-based policy$/);
      return true;
    });
    assert.equal((await admin.send(new GetSecretValueCommand({ SecretId: f.arn }))).SecretString, "initial", "others are not affected");
  });
});

describe("a second account", () => {
  let accountB: string;
  let bAdmin: { key: string; secret: string };
  let bUser: { key: string; secret: string };
  let f: Fixture;
  before(async () => {
    accountB = ((await iam("POST", "/v1/iam/accounts", { Name: "tenant-b" })) as { AccountId: string }).AccountId;
    bAdmin = await createUser(accountB, "admin-b", { admin: true });
    bUser = await createUser(accountB, "reader-b");
    f = await freshSecret("tenant-a");
  });

  test("cannot see, list, guess or touch the first account's secrets", async () => {
    const c = smClient(server.endpoint, { key: bAdmin.key, secret: bAdmin.secret });
    const before = await fingerprint();
    // By name: names are looked up in the caller's own account.
    await assert.rejects(c.send(new GetSecretValueCommand({ SecretId: f.name })), { name: "ResourceNotFoundException" });
    // By full and partial ARN: denied, whether or not the secret exists.
    for (const id of [f.arn, `arn:aws:secretsmanager:${TEST_REGION}:${TEST_ACCOUNT}:secret:${f.name}`, `arn:aws:secretsmanager:${TEST_REGION}:${TEST_ACCOUNT}:secret:does-not-exist-AbCdEf`]) {
      for (const call of [
        () => c.send(new GetSecretValueCommand({ SecretId: id })),
        () => c.send(new DescribeSecretCommand({ SecretId: id })),
        () => c.send(new PutSecretValueCommand({ SecretId: id, SecretString: "evil" })),
        () => c.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true })),
        () => c.send(new PutResourcePolicyCommand({ SecretId: id, ResourcePolicy: policyDoc("x") })),
      ]) {
        await assert.rejects(call(), (e: Error) => {
          assert.equal(e.name, "AccessDeniedException", `${id}: ${e.message}`);
          assert.match(e.message, new RegExp(`^User: arn:aws:iam::${accountB}:user/admin-b is not authorized to perform: secretsmanager:\\w+ on resource: `));
          return true;
        });
      }
    }
    const listed = await c.send(new ListSecretsCommand({}));
    assert.deepEqual(listed.SecretList, [], "ListSecrets shows only the caller's account");
    const batch = await c.send(new BatchGetSecretValueCommand({ SecretIdList: [f.arn] }));
    assert.deepEqual(batch.SecretValues, []);
    assert.equal(batch.Errors![0]!.ErrorCode, "AccessDeniedException");
    const filtered = await c.send(new BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: ["/prod"] }] }));
    assert.deepEqual(filtered.SecretValues, []);
    assert.equal(await fingerprint(), before);
  });

  test("cross-account access needs the resource policy and the caller's identity policy", async () => {
    const b = smClient(server.endpoint, { key: bUser.key, secret: bUser.secret });
    const grant = (principal: string) =>
      admin.send(
        new PutResourcePolicyCommand({
          SecretId: f.arn,
          ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }),
        }),
      );
    // Identity allows, no resource policy: denied.
    await setPolicy(accountB, "reader-b", [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:*:${TEST_ACCOUNT}:secret:/prod/matrix/*` }]);
    await assert.rejects(b.send(new GetSecretValueCommand({ SecretId: f.arn })), (e: Error) => e.name === "AccessDeniedException" && /no resource-based policy allows/.test(e.message));
    // Both allow: the value is returned.
    await grant(`arn:aws:iam::${accountB}:user/reader-b`);
    assert.equal((await b.send(new GetSecretValueCommand({ SecretId: f.arn }))).SecretString, "initial");
    // The resource policy names the account: still needs the identity side.
    await grant(accountB);
    assert.equal((await b.send(new GetSecretValueCommand({ SecretId: f.arn }))).SecretString, "initial");
    await iam("DELETE", `/v1/iam/accounts/${accountB}/users/reader-b/policies/matrix`);
    await assert.rejects(b.send(new GetSecretValueCommand({ SecretId: f.arn })), (e: Error) => e.name === "AccessDeniedException" && /no identity-based policy allows/.test(e.message));
    // Only the granted action: the rest stays denied.
    await setPolicy(accountB, "reader-b", [{ Effect: "Allow", Action: "secretsmanager:*", Resource: "*" }]);
    await assert.rejects(b.send(new PutSecretValueCommand({ SecretId: f.arn, SecretString: "evil" })), { name: "AccessDeniedException" });
    assert.equal((await admin.send(new GetSecretValueCommand({ SecretId: f.arn }))).SecretString, "initial");
  });
});
