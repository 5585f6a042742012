/**
 * PostgreSQL itself restarts under load (a private instance, so that the machine's shared one
 * stays up): both nodes report not-ready while it is down, recover by themselves when it is
 * back, lose nothing they acknowledged, and their caches and change feeds work again.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { requireDependency, runProcess, startTestServer, type TestServer } from "../testing/harness.js";
import { asUser, canStartPrivatePostgres, postgresBinDir, serviceAccount, startPrivatePostgres, type PrivatePostgres } from "../testing/private-postgres.js";
import { smClient } from "../testing/sm-client.js";
import { subscribeChanges } from "../testing/sse-client.js";

const AVAILABLE = canStartPrivatePostgres();
let pg: PrivatePostgres | undefined;
const nodes: TestServer[] = [];

/** pg_ctl as the server's owner: `stop -m fast` (a clean shutdown) or `start` on the same port and socket directory. */
async function pgCtl(action: "stop" | "start"): Promise<void> {
  const bin = postgresBinDir()!;
  const args = action === "stop"
    ? ["-D", pg!.dataDir, "stop", "-m", "fast", "-w", "-t", "60"]
    : ["-D", pg!.dataDir, "-l", pg!.logFile, "-o", `-p ${pg!.port} -k '${join(dirname(pg!.dataDir), "sock")}' -c listen_addresses=127.0.0.1`, "-w", "-t", "60", "start"];
  const [cmd, a] = asUser(serviceAccount("postgres"), join(bin, "pg_ctl"), args);
  const r = await runProcess(cmd, a, { ...process.env, LC_ALL: "C" }, 90_000);
  assert.equal(r.code, 0, `pg_ctl ${action}: ${r.stdout}${r.stderr}`);
}

async function readiness(t: TestServer): Promise<number> {
  try {
    return (await fetch(`${t.endpoint}/ready`, { signal: AbortSignal.timeout(15_000) })).status;
  } catch {
    return 0;
  }
}

async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting until ${what}`);
}

before(async () => {
  if (!AVAILABLE) return;
  pg = await startPrivatePostgres();
  await pg.createDatabase("keyshift");
  const url = `postgres://postgres:${encodeURIComponent(pg.superPassword)}@127.0.0.1:${pg.port}/keyshift`;
  const env = { KEYSHIFT_MASTER_KEY: randomBytes(32).toString("base64") };
  for (let i = 0; i < 2; i++) nodes.push(await startTestServer({ env, config: { store: { url, poolSize: 4, connectTimeoutSeconds: 2 } }, rotation: { nodeId: `restart-${i}` } }));
});
after(async () => {
  for (const n of nodes) await n.close();
  await pg?.stop();
});

test("PostgreSQL restarts under load: nodes report not-ready, recover by themselves and lose nothing acknowledged", { timeout: 180_000 }, async (t) => {
  if (!requireDependency(t, "PostgreSQL server binaries", AVAILABLE)) return;
  const clients = nodes.map((n) => smClient(n.endpoint));
  const names = Array.from({ length: 4 }, (_, i) => `restart/${i}-${randomUUID().slice(0, 6)}`);
  for (const [i, n] of names.entries()) await clients[i % 2]!.send(new CreateSecretCommand({ Name: n, SecretString: "initial" }));
  for (const n of nodes) assert.equal(await readiness(n), 200);

  const acked: { name: string; versionId: string; value: string }[] = [];
  let failures = 0;
  let stop = false;
  const load = Promise.all(
    [0, 1, 2].map(async (w) => {
      for (let i = 0; !stop; i++) {
        const name = names[(w + i) % names.length]!;
        const value = `w${w}-${i}`;
        try {
          const r = await clients[(w + i) % 2]!.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
          acked.push({ name, versionId: r.VersionId!, value });
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 30));
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  const before = acked.length;
  await pgCtl("stop");
  await until("both nodes report not-ready", async () => (await Promise.all(nodes.map(readiness))).every((s) => s === 503));
  await new Promise((r) => setTimeout(r, 1000));
  await pgCtl("start");
  await until("both nodes are ready again", async () => (await Promise.all(nodes.map(readiness))).every((s) => s === 200));
  const resumedAt = acked.length;
  await until("writes are acknowledged again", async () => acked.length > resumedAt + 10);
  stop = true;
  await load;
  assert.ok(before > 0 && failures > 0, `writes before the restart (${before}) and refused while it was down (${failures})`);

  for (const [i, x] of acked.entries()) {
    const got = await clients[i % 2]!.send(new GetSecretValueCommand({ SecretId: x.name, VersionId: x.versionId }));
    assert.equal(got.SecretString, x.value);
  }
  // Notifications flow again: node 1's cached read and its feed follow a write on node 0.
  const name = names[0]!;
  await clients[1]!.send(new GetSecretValueCommand({ SecretId: name }));
  const sub = await subscribeChanges(nodes[1]!.endpoint);
  try {
    await sub.next((e) => e.event === "hello");
    const put = await clients[0]!.send(new PutSecretValueCommand({ SecretId: name, SecretString: "after-restart" }));
    await sub.next((e) => e.event === "change" && e.data.includes(put.VersionId!), 5000);
    assert.equal((await clients[1]!.send(new GetSecretValueCommand({ SecretId: name }))).SecretString, "after-restart");
  } finally {
    sub.close();
  }
  console.log(`# ${acked.length} acknowledged writes, ${failures} refused while PostgreSQL was down`);
});
