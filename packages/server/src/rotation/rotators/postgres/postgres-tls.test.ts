/**
 * The PostgreSQL rotators over TLS, against a private server that accepts TCP logins over TLS
 * only (hostssl entries alone), so a rotation that works proves TLS was used.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import pg from "pg";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../../../testing/private-postgres.js";
import { smClient } from "../../../testing/sm-client.js";
import { selfSignedCert } from "../../../testing/tls-cert.js";
import { createJsonSecret, prepare, rejectsWith, rotate, stageValue } from "../database/testing.js";
import { postgresAlternatingUsers } from "./alternating-users.js";
import { postgresSingleUser } from "./single-user.js";

const AVAILABLE = canStartPrivatePostgres({ ssl: true });

describe("PostgreSQL rotators over TLS", () => {
  let db: PrivatePostgres | undefined;
  let server: TestServer;
  let sm: SecretsManagerClient;

  before(async () => {
    server = await startTestServer();
    sm = smClient(server.endpoint);
    if (AVAILABLE) db = await startPrivatePostgres({ ssl: true });
  });
  after(async () => {
    await db?.stop();
    sm?.destroy();
    await server?.close();
  });

  let n = 0;
  async function setup(t: TestContext, value: Record<string, unknown> = {}) {
    if (!requireDependency(t, "PostgreSQL server binaries and openssl", AVAILABLE)) return undefined;
    const d = db!;
    const user = `tu${++n}_${randomUUID().slice(0, 8)}`;
    const password = `Initial-${randomUUID()}`;
    await d.createRole(user, password);
    const name = `pg-tls-${user}`;
    await createJsonSecret(sm, name, { engine: "postgres", host: d.host, port: d.port, username: user, password, ...value });
    return { db: d, user, password, name, ca: d.certificate!.certPem };
  }

  async function rotatedPassword(s: { db: PrivatePostgres; user: string; password: string; name: string }): Promise<string> {
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    assert.notEqual(pw, s.password);
    assert.equal(await s.db.canLogin(s.user, pw), true);
    assert.equal(await s.db.canLogin(s.user, s.password), false);
    return pw;
  }

  test("ssl=require rotates over TLS; ssl=disable cannot log in to a TLS-only server", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name, { ssl: "disable" });
    await postgresSingleUser.createSecret(r.request("createSecret"));
    await rejectsWith(
      postgresSingleUser.setSecret(r.request("setSecret")),
      /^setSecret: could not log in to postgres at 127\.0\.0\.1:\d+ as \S+ with the current or previous credential \(current: no pg_hba\.conf entry for host "127\.0\.0\.1", user "\S+", database "postgres", no encryption/,
      [s.password],
    );
    await rotate(server, postgresSingleUser, s.name, { ssl: "require" });
    await rotatedPassword(s);
  });

  test("the default (prefer) uses TLS when the server has it", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, postgresSingleUser, s.name);
    await rotatedPassword(s);
  });

  test("the secret's ssl field: true means require", async (t) => {
    const s = await setup(t, { ssl: true });
    if (!s) return;
    await rotate(server, postgresSingleUser, s.name);
    await rotatedPassword(s);
    // ...and false means disable, which this server refuses.
    const s2 = await setup(t, { ssl: false });
    const r = await prepare(server, s2!.name);
    await postgresSingleUser.createSecret(r.request("createSecret"));
    await rejectsWith(postgresSingleUser.setSecret(r.request("setSecret")), /no encryption/);
  });

  test("verify-full with the server's CA (option sslCa, or the secret's sslCA) works", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, postgresSingleUser, s.name, { ssl: "verify-full", sslCa: s.ca });
    await rotatedPassword(s);
    const s2 = await setup(t, { sslCA: s.ca, ssl: "verify-full" });
    await rotate(server, postgresSingleUser, s2!.name);
    await rotatedPassword(s2!);
  });

  test("verify-full with the wrong CA fails with a clear error, and the password is unchanged", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const other = selfSignedCert(["localhost", "127.0.0.1"]).certPem;
    const r = await prepare(server, s.name, { ssl: "verify-full", sslCa: other });
    await postgresSingleUser.createSecret(r.request("createSecret"));
    await rejectsWith(
      postgresSingleUser.setSecret(r.request("setSecret")),
      new RegExp(`^setSecret: could not connect to postgres at 127\\.0\\.0\\.1:${s.db.port} with TLS \\(verify-full\\): self[- ]signed certificate`),
      [s.password],
    );
    // The system CAs do not know the server either.
    const r2 = await prepare(server, s.name, { ssl: "verify-full" });
    await postgresSingleUser.createSecret(r2.request("createSecret"));
    await rejectsWith(postgresSingleUser.testSecret(r2.request("testSecret")), /^testSecret: could not connect to postgres at .* with TLS \(verify-full\): self[- ]signed certificate/);
    assert.equal(await s.db.canLogin(s.user, s.password), true);
  });

  test("verify-full checks the host name: a certificate for another name is refused", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const elsewhere = selfSignedCert(["db.elsewhere.invalid"]);
    await s.db.replaceCertificate(elsewhere);
    try {
      const r = await prepare(server, s.name, { ssl: "verify-full", sslCa: elsewhere.certPem });
      await postgresSingleUser.createSecret(r.request("createSecret"));
      await rejectsWith(
        postgresSingleUser.setSecret(r.request("setSecret")),
        /^setSecret: could not connect to postgres at 127\.0\.0\.1:\d+ with TLS \(verify-full\): .*IP: 127\.0\.0\.1 is not in the cert's list/,
      );
      // Same CA, no name check (require): it works.
      await rotate(server, postgresSingleUser, s.name, { ssl: "require" });
      await rotatedPassword(s);
    } finally {
      await s.db.replaceCertificate(s.db.certificate!);
    }
  });

  test("alternating users over verify-full: the master login is verified too", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const admin = `admin_${s.user}`;
    const adminPassword = `Admin-${randomUUID()}`;
    await s.db.createRole(admin, adminPassword, "CREATEROLE");
    await s.db.query(`GRANT ${pg.escapeIdentifier(s.user)} TO ${pg.escapeIdentifier(admin)} WITH ADMIN OPTION`);
    const masterArn = await createJsonSecret(sm, `pg-tls-master-${s.user}`, { engine: "postgres", host: s.db.host, port: s.db.port, username: admin, password: adminPassword });
    const name = `pg-tls-alt-${s.user}`;
    await createJsonSecret(sm, name, { engine: "postgres", host: s.db.host, port: s.db.port, username: s.user, password: s.password, masterarn: masterArn });
    await rotate(server, postgresAlternatingUsers, name, { ssl: "verify-full", sslCa: s.ca });
    const c = await stageValue(sm, name, "AWSCURRENT");
    assert.equal(c?.username, `${s.user}_clone`);
    assert.equal(await s.db.canLogin(`${s.user}_clone`, c.password as string), true);
    assert.equal(await s.db.canLogin(s.user, s.password), true);
  });
});
