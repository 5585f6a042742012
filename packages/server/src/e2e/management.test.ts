import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Validator } from "@seriousme/openapi-schema-validator";
import { signRequest } from "@keyshift/protocol";
import { callApi } from "../cli/api-client.js";
import { startTestServer, TEST_KEY_ID, TEST_REGION, TEST_SECRET, type TestServer } from "../testing/harness.js";
import { smClientAt } from "../testing/sm-client.js";
import { documentationGaps } from "../management/openapi.js";
import type { ManagementEvent } from "../management/routes.js";
import { rotationEnded } from "../management/emergency.js";

const DAY = 86_400_000;

interface Answer {
  status: number;
  body: any;
}

type Auth = { kind: "sigv4"; key: string; secret: string } | { kind: "bearer"; token: string };

describe("management API end to end", () => {
  let srv: TestServer;
  let now = Date.now();
  const clock = () => now;
  let sm: SecretsManagerClient;
  const events: ManagementEvent[] = [];
  const admin: Auth = { kind: "sigv4", key: TEST_KEY_ID, secret: TEST_SECRET };

  /** SigV4 through the CLI's client (callApi); its errors carry the HTTP status and the error type. */
  async function sigv4(a: { key: string; secret: string }, method: string, path: string, body?: unknown): Promise<Answer> {
    const env = { AWS_ACCESS_KEY_ID: a.key, AWS_SECRET_ACCESS_KEY: a.secret, AWS_REGION: TEST_REGION };
    try {
      return { status: 200, body: await callApi({ endpointUrl: srv.endpoint, clock }, method, path, body, env) };
    } catch (e) {
      const m = /HTTP (\d+)\): (\w+): (.*)$/s.exec((e as Error).message);
      if (!m) throw e;
      return { status: Number(m[1]), body: { __type: m[2], Message: m[3] } };
    }
  }

  async function bearer(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(new URL(path, srv.endpoint), {
      method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? {} : JSON.parse(text) };
  }

  /** A SigV4 request with extra (signed) headers, for the tenant-switching attempts. */
  async function signedWith(a: { key: string; secret: string }, method: string, path: string, extra: Record<string, string>): Promise<Answer> {
    const url = new URL(path, srv.endpoint);
    const headers = signRequest(
      { method, host: url.host, path: url.pathname, query: url.search.slice(1), headers: { "content-type": "application/json", ...extra }, body: "", region: TEST_REGION, service: "keyshift", now: clock() },
      { accessKeyId: a.key, secretAccessKey: a.secret },
    );
    delete headers.host;
    const res = await fetch(url, { method, headers });
    const text = await res.text();
    return { status: res.status, body: text === "" ? {} : JSON.parse(text) };
  }

  const call = (auth: Auth, method: string, path: string, body?: unknown) => (auth.kind === "sigv4" ? sigv4(auth, method, path, body) : bearer(auth.token, method, path, body));
  const ok = async (auth: Auth, method: string, path: string, body?: unknown) => {
    const a = await call(auth, method, path, body);
    assert.ok(a.status < 300, `${method} ${path} answered ${a.status} ${JSON.stringify(a.body)}`);
    return a.body;
  };
  const enc = (name: string) => encodeURIComponent(name);

  async function createSecret(name: string, value: string): Promise<string> {
    const r = await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    return r.ARN!;
  }
  async function value(id: string, stage = "AWSCURRENT"): Promise<string | undefined> {
    try {
      return (await sm.send(new GetSecretValueCommand({ SecretId: id, VersionStage: stage }))).SecretString;
    } catch (e) {
      if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
      throw e;
    }
  }
  async function labeledValues(id: string): Promise<string[]> {
    const versions = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? [];
    const out: string[] = [];
    for (const v of versions) {
      if (!v.VersionStages?.length) continue;
      out.push((await sm.send(new GetSecretValueCommand({ SecretId: id, VersionId: v.VersionId! }))).SecretString!);
    }
    return out;
  }
  /** Waits for a rotation to end (whoever drives it). */
  async function settle(rotationId: string) {
    assert.ok(rotationId, "a rotation id");
    return rotationEnded(srv.app.deps, rotationId);
  }
  async function bearerTokenFor(userName?: string, days = 365): Promise<string> {
    const t = await ok(admin, "POST", "/v1/tokens", { ...(userName ? { user_name: userName } : {}), expires_in_days: days });
    assert.match(t.token, /^ksbt_KSBT/);
    return t.token;
  }
  async function userWithKey(account: string, user: string, policy?: unknown): Promise<{ key: string; secret: string }> {
    await ok(admin, "POST", `/v1/iam/accounts/${account}/users`, { UserName: user });
    if (policy) await ok(admin, "PUT", `/v1/iam/accounts/${account}/users/${user}/policies/p`, { PolicyDocument: JSON.stringify(policy) });
    const k = await ok(admin, "POST", `/v1/iam/accounts/${account}/users/${user}/access-keys`);
    return { key: k.AccessKeyId, secret: k.SecretAccessKey };
  }

  before(async () => {
    srv = await startTestServer({ clock });
    srv.app.managementEvents.push((e) => events.push(e));
    sm = smClientAt(srv.endpoint, clock);
  });
  after(async () => {
    sm?.destroy();
    await srv?.close();
  });

  test("/v1/openapi.json is a valid OpenAPI 3 document and lists exactly the routes served", async () => {
    const res = await fetch(new URL("/v1/openapi.json", srv.endpoint));
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { "x-keyshift-undocumented"?: boolean }>> };
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    assert.match(doc.openapi, /^3\./);
    // The document is built from the routes served; every routeDocs entry must name one of them.
    assert.deepEqual(documentationGaps(await routesServed()).stale, []);
    // Every documented operation exists in the router: unauthenticated, it fails authentication, never "no such resource" (404) or 405.
    let probed = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        assert.equal(op["x-keyshift-undocumented"], undefined, `${method} ${path} is undocumented`);
        if (path === "/v1/openapi.json") continue;
        const r = await fetch(new URL(path.replace(/\{\w+\}/g, "x"), srv.endpoint), { method: method.toUpperCase(), ...(method === "get" || method === "delete" ? {} : { body: "{}" }) });
        const body = (await r.json()) as { __type: string };
        assert.ok(r.status === 401 || r.status === 400, `${method} ${path}: ${r.status} ${body.__type}`);
        assert.equal(body.__type, "MissingAuthenticationTokenException", `${method} ${path}`);
        probed++;
      }
    }
    assert.ok(probed >= 30, `probed ${probed}`);
    // And the router answers "no such resource" for what is not documented.
    const miss = await fetch(new URL("/v1/secrets/x/nothing-here", srv.endpoint));
    assert.equal(miss.status, 404);
  });

  /** The routes the server serves, as the ManagementApi holds them (the document is built from the same list). */
  async function routesServed() {
    const doc = (await (await fetch(new URL("/v1/openapi.json", srv.endpoint))).json()) as { paths: Record<string, Record<string, unknown>> };
    return Object.entries(doc.paths)
      .filter(([p]) => p !== "/v1/openapi.json")
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase() as "GET", path: p.slice(3), handler: async () => ({}) })));
  }

  for (const mode of ["sigv4", "bearer"] as const) {
    test(`every management endpoint works end to end (${mode})`, async () => {
      const auth: Auth = mode === "sigv4" ? admin : { kind: "bearer", token: await bearerTokenFor() };
      const name = `/e2e/${mode}/api-key-${randomUUID().slice(0, 8)}`;
      const arn = await createSecret(name, "ks_initial-value");
      const p = `/v1/secrets/${enc(name)}`;

      // Register: type, criticality, description, interval; the default rotator for api_key.
      const reg = await ok(auth, "PUT", `${p}/rotation`, { secret_type: "api_key", criticality: "high", description: "billing API key", rotation_interval_days: 1 });
      assert.equal(reg.arn, arn);
      assert.equal(reg.secret_type, "api_key");
      assert.equal(reg.criticality, "high");
      assert.equal(reg.rotator, "keyshift-random-password");
      assert.equal(reg.rotation_interval_days, 1);
      assert.equal(reg.due, false);
      const sched = await ok(auth, "GET", `${p}/schedule`);
      assert.equal(sched.description, "billing API key");

      // Update the schedule to a cron expression, then back to days.
      const cron = await ok(auth, "PUT", `${p}/schedule`, { schedule_expression: "cron(0 4 * * ? *)" });
      assert.equal(cron.schedule_expression, "cron(0 4 * * ? *)");
      assert.equal(cron.rotation_interval_days, undefined);
      await ok(auth, "PUT", `${p}/schedule`, { rotation_interval_days: 1 });
      const bad = await call(auth, "PUT", `${p}/schedule`, { rotation_interval_days: 1, schedule_expression: "rate(1 days)" });
      assert.equal(bad.status, 400);

      // List schedules (filtered), then due ones: nothing yet, this one once its date has passed.
      const list = await ok(auth, "GET", `/v1/schedules?criticality=high&secret_type=api_key`);
      assert.ok(list.schedules.some((s: { arn: string }) => s.arn === arn));
      const low = await ok(auth, "GET", `/v1/schedules?criticality=low`);
      assert.ok(!low.schedules.some((s: { arn: string }) => s.arn === arn));
      assert.ok(!(await ok(auth, "GET", "/v1/schedules/due")).secrets.some((s: { arn: string }) => s.arn === arn));
      assert.ok((await ok(auth, "GET", "/v1/schedules/due?within_days=3")).secrets.some((s: { arn: string }) => s.arn === arn));
      now += 3 * DAY;
      const due = await ok(auth, "GET", "/v1/schedules/due");
      const mine = due.secrets.find((s: { arn: string }) => s.arn === arn);
      assert.ok(mine, "the secret is due");
      assert.equal(mine.overdue, true);

      // Rotate all due secrets.
      const rotated = await ok(auth, "POST", "/v1/schedules/due/rotate");
      const started = rotated.started.find((s: { arn: string }) => s.arn === arn);
      assert.ok(started, JSON.stringify(rotated));
      assert.equal((await settle(started.rotation_id))?.status, "succeeded");
      assert.match((await value(name))!, /^ks_/);
      assert.notEqual(await value(name), "ks_initial-value");
      assert.ok(!(await ok(auth, "GET", "/v1/schedules/due")).secrets.some((s: { arn: string }) => s.arn === arn));

      // Rotate now.
      now += 60_000;
      const r = await ok(auth, "POST", `${p}/rotate`);
      assert.equal(r.arn, arn);
      assert.equal((await settle(r.rotation_id))?.status, "succeeded");
      assert.equal((await labeledValues(name)).length, 2, "AWSCURRENT and AWSPREVIOUS after a normal rotation");

      // Rotation history with filters (secret, outcome, method, time range); both were started by hand, newest first.
      const ids = (x: { Rotations: { RotationId: string }[] }) => x.Rotations.map((y) => y.RotationId);
      assert.deepEqual(ids(await ok(auth, "GET", `/v1/rotations?SecretId=${enc(name)}&Status=succeeded&Method=manual`)), [r.rotation_id, started.rotation_id]);
      assert.deepEqual(ids(await ok(auth, "GET", `/v1/rotations?SecretId=${enc(name)}&Method=automatic`)), []);
      assert.deepEqual(ids(await ok(auth, "GET", `/v1/rotations?SecretId=${enc(name)}&Status=failed`)), []);
      assert.deepEqual(ids(await ok(auth, "GET", `/v1/rotations?SecretId=${enc(name)}&Since=${Math.floor((now - 1000) / 1000)}`)), [r.rotation_id]);
      assert.deepEqual(ids(await ok(auth, "GET", `/v1/rotations?SecretId=${enc(name)}&Until=${Math.floor((now - 1000) / 1000)}`)), [started.rotation_id]);

      // Observability: read it, report a consumer, then look.
      await value(name);
      const cur = (await sm.send(new GetSecretValueCommand({ SecretId: name }))).VersionId!;
      await ok(auth, "PUT", `/v1/consumers/agent-${mode}`, { Kind: "agent", Name: "billing-agent", Holdings: [{ ARN: arn, VersionId: cur, VersionStages: ["AWSCURRENT"] }] });
      const holders = await ok(auth, "GET", `/v1/consumers?SecretId=${enc(name)}`);
      assert.deepEqual(holders.Consumers.map((c: { ConsumerId: string }) => c.ConsumerId), [`agent-${mode}`]);
      assert.ok((await ok(auth, "GET", "/v1/rotators")).Rotators.some((x: { Name: string }) => x.Name === "keyshift-random-password"));
      const st = await ok(auth, "GET", `${p}/status`);
      assert.equal(st.rotation_status, "scheduled");
      assert.equal(st.last_rotation.rotation_id, r.rotation_id);
      assert.equal(st.last_rotation.status, "succeeded");
      assert.equal(typeof st.last_rotated_at, "number");
      assert.ok(st.next_rotation_at > st.last_rotated_at);
      assert.equal(st.failure_count, 0);
      assert.equal(typeof st.last_accessed_at, "number");
      assert.equal(st.current_version_id, cur);
      assert.deepEqual(st.consumers.map((c: { consumer_id: string; version_id: string; live: boolean }) => [c.consumer_id, c.version_id, c.live]), [[`agent-${mode}`, cur, true]]);
      assert.ok(!JSON.stringify(st).includes(String(await value(name))), "the status view carries no value");

      // Emergency rotation (generated value).
      const old = (await value(name))!;
      const em = await ok(auth, "POST", `${p}/emergency-rotation`, { reason: "leaked in a log" });
      assert.equal(em.generated, true);
      assert.equal(em.revocation, "value-withdrawn");
      assert.notEqual(await value(name), old);
      assert.equal(await value(name, "AWSPREVIOUS"), undefined);

      // Tokens: create (for the caller), list, revoke; a revoked token authenticates nobody.
      const t = await ok(auth, "POST", "/v1/tokens", { description: "ci" });
      assert.equal(t.state, "active");
      const listed = await ok(auth, "GET", "/v1/tokens");
      const entry = listed.tokens.find((x: { token_id: string }) => x.token_id === t.token_id);
      assert.ok(entry);
      assert.equal(entry.token, undefined, "a listing never shows the token");
      // The token is ksbt_<id>_<secret>; the secret (base64url) may itself hold "_".
      assert.ok(!JSON.stringify(listed).includes(t.token.split("_").slice(2).join("_")));
      assert.equal((await bearer(t.token, "GET", "/v1/schedules")).status, 200);
      const revoked = await ok(auth, "DELETE", `/v1/tokens/${t.token_id}`);
      assert.equal(revoked.state, "revoked");
      const after = await bearer(t.token, "GET", "/v1/schedules");
      assert.equal(after.status, 401);
      assert.equal(after.body.__type, "UnrecognizedClientException");
      assert.equal((await call(auth, "DELETE", `/v1/tokens/KSBTAAAAAAAAAAAAAAAA`)).status, 404);
    });
  }

  test("bearer tokens: a forged, tampered or expired token authenticates nobody", async () => {
    const token = await bearerTokenFor(undefined, 1);
    assert.equal((await bearer(token, "GET", "/v1/schedules")).status, 200);
    const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    assert.equal((await bearer(tampered, "GET", "/v1/schedules")).status, 401);
    assert.equal((await bearer("ksbt_nonsense", "GET", "/v1/schedules")).status, 401);
    now += 2 * DAY; // the token was created with expires_in_days 1
    const expired = await bearer(token, "GET", "/v1/schedules");
    assert.equal(expired.status, 401);
    assert.equal(expired.body.__type, "UnrecognizedClientException");
  });

  for (const supplied of [true, false]) {
    test(`emergency rotation with a ${supplied ? "supplied" : "generated"} value: the old value is neither AWSCURRENT nor AWSPREVIOUS`, async () => {
      const name = `/e2e/emergency/${supplied ? "supplied" : "generated"}-${randomUUID().slice(0, 8)}`;
      const oldValue = `old-${randomUUID()}`;
      const arn = await createSecret(name, oldValue);
      await ok(admin, "PUT", `/v1/secrets/${enc(name)}/rotation`, { secret_type: "password", rotator: "keyshift-random-password", rotation_interval_days: 30, criticality: "critical" });
      // A normal rotation first, so that there is an AWSPREVIOUS to revoke as well.
      const r = await ok(admin, "POST", `/v1/secrets/${enc(name)}/rotate`);
      await settle(r.rotation_id);
      const previous = (await value(name, "AWSPREVIOUS"))!;
      const current = (await value(name))!;
      assert.equal(previous, oldValue);
      events.length = 0;
      const newValue = `new-${randomUUID()}`;
      const em = await ok(admin, "POST", `/v1/secrets/${enc(name)}/emergency-rotation`, supplied ? { value: newValue, reason: "incident 42" } : {});
      assert.equal(em.generated, !supplied);
      const now1 = await value(name);
      if (supplied) assert.equal(now1, newValue);
      else assert.ok(now1 && now1 !== current && now1 !== oldValue);
      assert.equal(await value(name, "AWSPREVIOUS"), undefined, "AWSPREVIOUS is removed");
      const labeled = await labeledValues(name);
      assert.deepEqual(labeled, [now1], "only the new value carries a staging label");
      const hist = await ok(admin, "GET", `/v1/rotations?SecretId=${enc(name)}&Method=emergency`);
      assert.equal(hist.Rotations.length, 1);
      assert.equal(hist.Rotations[0].Status, "succeeded");
      // The event: metadata only.
      assert.equal(events.length, 1);
      const e = events[0]!;
      assert.equal(e.type, "EmergencyRotation");
      assert.equal(e.secretArn, arn);
      assert.equal(e.versionId, em.version_id);
      assert.equal(e.generated, !supplied);
      assert.equal(e.criticality, "critical");
      const text = JSON.stringify(e);
      for (const v of [oldValue, current, now1!]) assert.ok(!text.includes(v), "no value in the event");
    });
  }

  test("emergency rotation of a secret without a rotator uses the supplied value", async () => {
    const name = `/e2e/emergency/plain-${randomUUID().slice(0, 8)}`;
    await createSecret(name, "plain-old");
    const em = await ok(admin, "POST", `/v1/secrets/${enc(name)}/emergency-rotation`, { value: "plain-new" });
    assert.equal(em.revocation, "value-withdrawn");
    assert.equal(await value(name), "plain-new");
    assert.equal(await value(name, "AWSPREVIOUS"), undefined);
  });

  test("a failed emergency rotation answers 400, leaves AWSCURRENT and AWSPREVIOUS alone and counts as a failure", async () => {
    const name = `/e2e/emergency/failing-${randomUUID().slice(0, 8)}`;
    await createSecret(name, "ks_old-key");
    await ok(admin, "PUT", `/v1/secrets/${enc(name)}/rotation`, { secret_type: "api_key", rotation_interval_days: 30 });
    const r = await ok(admin, "POST", `/v1/secrets/${enc(name)}/rotate`);
    await settle(r.rotation_id);
    const current = await value(name);
    now += 1000;
    // The api_key rotator's testSecret refuses a value without its prefix.
    const bad = await call(admin, "POST", `/v1/secrets/${enc(name)}/emergency-rotation`, { value: "not-an-api-key-marker" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.__type, "InvalidRequestException");
    assert.equal(await value(name), current);
    assert.equal(await value(name, "AWSPREVIOUS"), "ks_old-key");
    const st = await ok(admin, "GET", `/v1/secrets/${enc(name)}/status`);
    assert.equal(st.failure_count, 1);
    assert.equal(st.last_rotation.status, "failed");
    assert.equal(st.last_rotation.method, "emergency");
    assert.ok(!JSON.stringify(st).includes("not-an-api-key-marker"), "the redacted error holds no value");
  });

  test("a principal without keyshift: permissions gets 403 AccessDenied; per-secret grants scope it", async () => {
    const acct = srv.app.accountId;
    const reader = await userWithKey(acct, `reader-${randomUUID().slice(0, 6)}`, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }],
    });
    const scopedName = `scoped-${randomUUID().slice(0, 6)}`;
    const scoped = await userWithKey(acct, scopedName, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["keyshift:DescribeSecretStatus", "keyshift:RegisterRotation"], Resource: `arn:aws:secretsmanager:*:${acct}:secret:/team-a/*` }],
    });
    const a = `/team-a/db-${randomUUID().slice(0, 6)}`;
    const b = `/team-b/db-${randomUUID().slice(0, 6)}`;
    await createSecret(a, "va");
    await createSecret(b, "vb");
    const readerToken = await bearerTokenFor(await firstUserName(reader));
    for (const who of [{ kind: "sigv4", ...reader } as Auth, { kind: "bearer", token: readerToken } as Auth]) {
      for (const [method, path, body] of [
        ["PUT", `/v1/secrets/${enc(a)}/rotation`, { secret_type: "password", rotation_interval_days: 30 }],
        ["POST", `/v1/secrets/${enc(a)}/rotate`, undefined],
        ["POST", `/v1/secrets/${enc(a)}/emergency-rotation`, {}],
        ["GET", `/v1/secrets/${enc(a)}/status`, undefined],
        ["GET", "/v1/schedules", undefined],
        ["GET", "/v1/schedules/due", undefined],
        ["POST", "/v1/schedules/due/rotate", undefined],
        ["GET", "/v1/tokens", undefined],
      ] as const) {
        const res = await call(who, method, path, body);
        assert.equal(res.status, 403, `${who.kind} ${method} ${path}: ${res.status}`);
        assert.equal(res.body.__type, "AccessDeniedException");
      }
      // Nonexistent secret: the same answer (existence is not revealed).
      assert.equal((await call(who, "GET", `/v1/secrets/${enc("/nope/" + randomUUID())}/status`)).status, 403);
    }
    const s = { kind: "sigv4", ...scoped } as Auth;
    assert.equal((await call(s, "GET", `/v1/secrets/${enc(a)}/status`)).status, 200);
    assert.equal((await call(s, "PUT", `/v1/secrets/${enc(a)}/rotation`, { secret_type: "password", rotation_interval_days: 30 })).status, 200);
    assert.equal((await call(s, "GET", `/v1/secrets/${enc(b)}/status`)).status, 403);
    assert.equal((await call(s, "POST", `/v1/secrets/${enc(a)}/rotate`)).status, 403, "RotateSecret was not granted");
    // Tokens for another user need keyshift:CreateToken on that user.
    assert.equal((await call(s, "POST", "/v1/tokens", { user_name: "admin" })).status, 403);
    // The secret's value was not changed by any of the refused calls.
    assert.equal(await value(a), "va");
  });

  async function firstUserName(k: { key: string }): Promise<string> {
    const users = await ok(admin, "GET", `/v1/iam/accounts/${srv.app.accountId}/users`);
    for (const u of users.Users as { UserName: string }[]) {
      const keys = await ok(admin, "GET", `/v1/iam/accounts/${srv.app.accountId}/users/${u.UserName}/access-keys`);
      if (JSON.stringify(keys).includes(k.key)) return u.UserName;
    }
    throw new Error("no such key");
  }

  test("the tenant comes from the principal: headers cannot switch it", async () => {
    const other = await ok(admin, "POST", "/v1/iam/accounts", { Name: `tenant-${randomUUID().slice(0, 6)}` });
    const b = other.AccountId as string;
    await ok(admin, "POST", `/v1/iam/accounts/${b}/users`, { UserName: "boss", Admin: true });
    const k = await ok(admin, "POST", `/v1/iam/accounts/${b}/users/boss/access-keys`);
    const bKey = { key: k.AccessKeyId as string, secret: k.SecretAccessKey as string };
    const name = `/tenant-a/secret-${randomUUID().slice(0, 6)}`;
    const arnA = await createSecret(name, "tenant-a-value");
    await ok(admin, "PUT", `/v1/secrets/${enc(name)}/rotation`, { secret_type: "token", rotation_interval_days: 7 });
    const switching = {
      "x-amz-account-id": srv.app.accountId, "x-keyshift-account": srv.app.accountId, "x-keyshift-tenant": srv.app.accountId,
      "x-amz-security-token": "x", "x-forwarded-user": `arn:aws:iam::${srv.app.accountId}:user/admin`,
    };
    // By name: looked up in B's own account, where it does not exist.
    const byName = await signedWith(bKey, "GET", `/v1/secrets/${enc(name)}/status`, switching);
    assert.equal(byName.status, 404, JSON.stringify(byName.body));
    // By A's ARN: another account's secret is never reachable here.
    const byArn = await signedWith(bKey, "GET", `/v1/secrets/${enc(arnA)}/status`, switching);
    assert.equal(byArn.status, 403);
    const sched = await signedWith(bKey, "GET", "/v1/schedules", switching);
    assert.equal(sched.status, 200);
    assert.equal(sched.body.schedules.length, 0, "B sees only its own (empty) account");
    // The same with a bearer token of B's user.
    const env = { AWS_ACCESS_KEY_ID: bKey.key, AWS_SECRET_ACCESS_KEY: bKey.secret, AWS_REGION: TEST_REGION };
    const t = (await callApi({ endpointUrl: srv.endpoint, clock }, "POST", "/v1/tokens", {}, env)) as { token: string; user_arn: string };
    assert.equal(t.user_arn, `arn:aws:iam::${b}:user/boss`);
    const viaBearer = await bearer(t.token, "GET", "/v1/schedules", undefined, switching);
    assert.equal(viaBearer.body.schedules.length, 0);
    assert.equal((await bearer(t.token, "POST", `/v1/secrets/${enc(arnA)}/emergency-rotation`, {}, switching)).status, 403);
    assert.equal(await value(name), "tenant-a-value");
  });

  test("/health is liveness; /ready answers 503 once the store is unreachable", async () => {
    const h = await fetch(new URL("/health", srv.endpoint));
    assert.equal(h.status, 200);
    const r = await fetch(new URL("/ready", srv.endpoint));
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: "ok", checks: { store: "ok", migrations: "done" } });
    // Last test: the server is closed in after().
    await srv.app.store.close();
    const down = await fetch(new URL("/ready", srv.endpoint));
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { checks: { store: string } }).checks.store, "unreachable");
    assert.equal((await fetch(new URL("/health", srv.endpoint))).status, 200);
  });
});
