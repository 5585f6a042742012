/**
 * Emergency rotation through the management API against a private PostgreSQL server with real
 * password authentication: the old credentials stop logging in at once (single user and
 * alternating users), and only the new value carries a staging label.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { CreateSecretCommand, GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { callApi } from "../cli/api-client.js";
import { requireDependency, startTestServer, TEST_KEY_ID, TEST_REGION, TEST_SECRET, type TestServer } from "../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../testing/private-postgres.js";
import { rotationEnded } from "../management/emergency.js";
import { smClient } from "../testing/sm-client.js";

interface Login {
  username: string;
  password: string;
}

describe("emergency rotation of PostgreSQL credentials (management API)", () => {
  const available = canStartPrivatePostgres();
  let pg: PrivatePostgres | undefined;
  let srv: TestServer;
  let sm: SecretsManagerClient;
  const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };
  const api = (method: string, path: string, body?: unknown) => callApi({ endpointUrl: srv.endpoint }, method, path, body, env) as Promise<Record<string, any>>;
  const stage = async (name: string, s: string): Promise<Login | undefined> => {
    try {
      return JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: name, VersionStage: s }))).SecretString!) as Login;
    } catch (e) {
      if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
      throw e;
    }
  };

  before(async () => {
    srv = await startTestServer();
    sm = smClient(srv.endpoint);
    if (available) pg = await startPrivatePostgres();
  });
  after(async () => {
    sm?.destroy();
    await srv?.close();
    await pg?.stop();
  });

  async function setup(t: TestContext, rotator: string) {
    if (!requireDependency(t, "PostgreSQL server binaries", available)) return undefined;
    const user = `em${randomUUID().slice(0, 8)}`;
    const password = `Initial-${randomUUID()}`;
    const dbname = `db_${user}`;
    await pg!.createDatabase(dbname);
    await pg!.createRole(user, password);
    const name = `/prod/pg/${user}`;
    const masterarn = (await sm.send(new CreateSecretCommand({ Name: `${name}/master`, SecretString: JSON.stringify({ engine: "postgres", host: pg!.host, port: pg!.port, username: pg!.superuser, password: pg!.superPassword, dbname }) }))).ARN!;
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ engine: "postgres", host: pg!.host, port: pg!.port, username: user, password, dbname, masterarn }) }));
    await api("PUT", `/v1/secrets/${encodeURIComponent(name)}/rotation`, { secret_type: "database", rotator, rotation_interval_days: 30, criticality: "critical" });
    return { user, password, dbname, name };
  }

  test("single user, supplied value: the old password stops logging in at once", async (t) => {
    const x = await setup(t, "keyshift-postgres-single-user");
    if (!x) return;
    const cur = (await stage(x.name, "AWSCURRENT"))!;
    const next = { ...cur, password: `Supplied-${randomUUID()}` };
    const out = await api("POST", `/v1/secrets/${encodeURIComponent(x.name)}/emergency-rotation`, { value: JSON.stringify(next), reason: "leaked" });
    assert.equal(out.revocation, "password-changed");
    assert.equal(out.generated, false);
    assert.deepEqual(await stage(x.name, "AWSCURRENT"), next);
    assert.equal(await stage(x.name, "AWSPREVIOUS"), undefined);
    assert.equal(await pg!.canLogin(x.user, next.password, x.dbname), true);
    assert.equal(await pg!.canLogin(x.user, x.password, x.dbname), false);
  });

  test("alternating users, generated: neither login accepts a password from before", async (t) => {
    const x = await setup(t, "keyshift-postgres-alternating-users");
    if (!x) return;
    // A normal rotation first: the clone is current, the original user previous — both log in.
    const r = await api("POST", `/v1/secrets/${encodeURIComponent(x.name)}/rotate`);
    await rotationEnded(srv.app.deps, r.rotation_id);
    const before1 = (await stage(x.name, "AWSCURRENT"))!;
    const before0 = (await stage(x.name, "AWSPREVIOUS"))!;
    assert.equal(before1.username, `${x.user}_clone`);
    assert.equal(await pg!.canLogin(before0.username, before0.password, x.dbname), true);
    assert.equal(await pg!.canLogin(before1.username, before1.password, x.dbname), true);

    const out = await api("POST", `/v1/secrets/${encodeURIComponent(x.name)}/emergency-rotation`, {});
    assert.equal(out.revocation, "both-users-changed");
    assert.equal(out.rotation_ids.length, 2);
    const now = (await stage(x.name, "AWSCURRENT"))!;
    assert.equal(await stage(x.name, "AWSPREVIOUS"), undefined);
    assert.equal(await pg!.canLogin(now.username, now.password, x.dbname), true);
    assert.equal(await pg!.canLogin(before0.username, before0.password, x.dbname), false, "the previous login's old password");
    assert.equal(await pg!.canLogin(before1.username, before1.password, x.dbname), false, "the current login's old password");
  });
});
