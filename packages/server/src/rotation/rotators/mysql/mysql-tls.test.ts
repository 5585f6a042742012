/**
 * The MySQL rotators over TLS, against a private MariaDB with require_secure_transport (plain
 * TCP logins refused), so a rotation that works proves TLS was used.
 */
import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { requireDependency, startTestServer, type TestServer } from "../../../testing/harness.js";
import { canStartPrivateMariadb, startPrivateMariadb, type PrivateMariadb } from "../../../testing/private-mariadb.js";
import { smClient } from "../../../testing/sm-client.js";
import { selfSignedCert } from "../../../testing/tls-cert.js";
import { createJsonSecret, prepare, rejectsWith, rotate, stageValue } from "../database/testing.js";
import { mysqlAlternatingUsers } from "./alternating-users.js";
import { mysqlSingleUser } from "./single-user.js";

const AVAILABLE = canStartPrivateMariadb({ ssl: true });

describe("MySQL rotators over TLS (MariaDB)", () => {
  let db: PrivateMariadb | undefined;
  let server: TestServer;
  let sm: SecretsManagerClient;

  before(async () => {
    server = await startTestServer();
    sm = smClient(server.endpoint);
    if (AVAILABLE) db = await startPrivateMariadb({ ssl: true });
  });
  after(async () => {
    await db?.stop();
    sm?.destroy();
    await server?.close();
  });

  let n = 0;
  async function setup(t: TestContext, value: Record<string, unknown> = {}) {
    if (!requireDependency(t, "MariaDB and openssl", AVAILABLE)) return undefined;
    const d = db!;
    const user = `tu${++n}_${randomUUID().slice(0, 8)}`;
    const password = `Initial-${randomUUID()}`;
    await d.createUser(user, password);
    const name = `mysql-tls-${user}`;
    await createJsonSecret(sm, name, { engine: "mariadb", host: d.host, port: d.port, username: user, password, ...value });
    return { db: d, user, password, name, ca: d.certificate!.certPem };
  }

  async function rotated(s: { db: PrivateMariadb; user: string; password: string; name: string }): Promise<void> {
    const pw = (await stageValue(sm, s.name, "AWSCURRENT"))!.password as string;
    assert.notEqual(pw, s.password);
    assert.equal(await s.db.canLogin(s.user, pw), true);
    assert.equal(await s.db.canLogin(s.user, s.password), false);
  }

  test("ssl=require rotates over TLS; ssl=disable is refused by the server", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const r = await prepare(server, s.name, { ssl: "disable" });
    await mysqlSingleUser.createSecret(r.request("createSecret"));
    await rejectsWith(
      mysqlSingleUser.setSecret(r.request("setSecret")),
      // MariaDB answers "access denied" to a plain connection under require_secure_transport.
      /^setSecret: could not log in to mysql at 127\.0\.0\.1:\d+ as \S+ with the current or previous credential \(current: Access denied for user/,
      [s.password],
    );
    await rotate(server, mysqlSingleUser, s.name, { ssl: "require" });
    await rotated(s);
  });

  test("the default (prefer) uses TLS when the server has it", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, mysqlSingleUser, s.name);
    await rotated(s);
  });

  test("verify-full with the server's CA: by IP address (checked after the handshake) and by host name", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await rotate(server, mysqlSingleUser, s.name, { ssl: "verify-full", sslCa: s.ca });
    await rotated(s);
    const s2 = await setup(t, { host: "localhost", ssl: "verify-full", sslCA: s.ca });
    await rotate(server, mysqlSingleUser, s2!.name);
    await rotated(s2!);
  });

  test("verify-full with the wrong CA, or a certificate for another name, fails with a clear error", async (t) => {
    const s = await setup(t);
    if (!s) return;
    const other = selfSignedCert(["localhost", "127.0.0.1"]).certPem;
    const r = await prepare(server, s.name, { ssl: "verify-full", sslCa: other });
    await mysqlSingleUser.createSecret(r.request("createSecret"));
    await rejectsWith(
      mysqlSingleUser.setSecret(r.request("setSecret")),
      new RegExp(`^setSecret: could not connect to mysql at 127\\.0\\.0\\.1:${s.db.port} with TLS \\(verify-full\\): self[- ]signed certificate`),
      [s.password],
    );

    const elsewhere = selfSignedCert(["db.elsewhere.invalid"]);
    await s.db.replaceCertificate(elsewhere);
    try {
      const r2 = await prepare(server, s.name, { ssl: "verify-full", sslCa: elsewhere.certPem });
      await mysqlSingleUser.createSecret(r2.request("createSecret"));
      await rejectsWith(
        mysqlSingleUser.setSecret(r2.request("setSecret")),
        /^setSecret: could not connect to mysql at 127\.0\.0\.1:\d+ with TLS \(verify-full\): .*IP: 127\.0\.0\.1 is not in the cert's list/,
      );
      await createJsonSecret(sm, `${s.name}-byname`, { engine: "mariadb", host: "localhost", port: s.db.port, username: s.user, password: s.password });
      const r3 = await prepare(server, `${s.name}-byname`, { ssl: "verify-full", sslCa: elsewhere.certPem });
      await mysqlSingleUser.createSecret(r3.request("createSecret"));
      await rejectsWith(mysqlSingleUser.setSecret(r3.request("setSecret")), /^setSecret: could not connect to mysql at localhost:\d+ with TLS \(verify-full\): .*localhost.* is not in the cert's altnames/);
    } finally {
      await s.db.replaceCertificate(s.db.certificate!);
    }
    assert.equal(await s.db.canLogin(s.user, s.password), true);
  });

  test("alternating users: the clone gets the user's REQUIRE SSL", async (t) => {
    const s = await setup(t);
    if (!s) return;
    await s.db.query("ALTER USER ?@'%' REQUIRE SSL", [s.user]);
    const admin = `admin_${s.user}`;
    const adminPassword = `Admin-${randomUUID()}`;
    await s.db.createUser(admin, adminPassword);
    await s.db.query("GRANT ALL PRIVILEGES ON *.* TO ?@'%' WITH GRANT OPTION", [admin]);
    const masterArn = await createJsonSecret(sm, `mysql-tls-master-${s.user}`, { engine: "mariadb", host: s.db.host, port: s.db.port, username: admin, password: adminPassword });
    const name = `mysql-tls-alt-${s.user}`;
    await createJsonSecret(sm, name, { engine: "mariadb", host: s.db.host, port: s.db.port, username: s.user, password: s.password, masterarn: masterArn });
    await rotate(server, mysqlAlternatingUsers, name, { ssl: "verify-full", sslCa: s.ca });
    const c = await stageValue(sm, name, "AWSCURRENT");
    assert.equal(c?.username, `${s.user}_clone`);
    assert.equal(await s.db.canLogin(`${s.user}_clone`, c.password as string), true);
    const rows = await s.db.query<{ ssl_type: string }>("SELECT ssl_type FROM mysql.user WHERE User = ? AND Host = '%'", [`${s.user}_clone`]);
    assert.deepEqual(rows.map((r) => r.ssl_type), ["ANY"]);
  });
});
