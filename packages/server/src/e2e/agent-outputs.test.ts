import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand, PutSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { runAgent, type RunningAgent } from "@keyshift/agent";
import { TEST_KEY_ID, TEST_REGION, TEST_SECRET, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { captureLogger, startTestAgent, waitFor } from "./agent-test-helpers.js";

const PASSWORD = 'p"w$1\nx';
const DB = JSON.stringify({ username: "app", password: PASSWORD, port: 5432 });
let s: TestServer;

before(async () => {
  s = await startTestServer();
  const c = smClient(s.endpoint);
  await c.send(new CreateSecretCommand({ Name: "out/db", SecretString: DB }));
  await c.send(new CreateSecretCommand({ Name: "out/api", SecretString: "key-123" }));
});
after(async () => s.close());

const mode = (p: string) => statSync(p).mode & 0o777;
const lines = (p: string) => (existsSync(p) ? readFileSync(p, "utf8").split("\n").filter(Boolean).length : 0);
const b64 = (x: string) => Buffer.from(x).toString("base64");

const ENV_EXPECTED = `API_KEY="key-123"\nDB_USER="app"\nDB_username="app"\nDB_password="p\\"w\\$1\\nx"\nDB_port="5432"\n`;
const K8S_EXPECTED = [
  "apiVersion: v1", "kind: Secret", "metadata:", '  name: "app-secrets"', '  namespace: "prod"', 'type: "Opaque"', "data:",
  `  "api-key": "${b64("key-123")}"`, `  "password": "${b64(PASSWORD)}"`, `  "port": "${b64("5432")}"`, `  "username": "${b64("app")}"`, "",
].join("\n");

function outputsTable(dir: string, debounceMs: number) {
  return {
    template: [{
      destination: join(dir, "app.conf"),
      contents: 'user={{ secret "out/db" "username" }}\npass={{ secret "out/db" "password" | json }}\n',
      command: `echo ran >> ${join(dir, "runs.log")}`,
      command_debounce_ms: debounceMs,
    }],
    env_file: [{ destination: join(dir, "app.env"), vars: { API_KEY: "out/api", DB_USER: { secret: "out/db", key: "username" } }, from: [{ secret: "out/db", prefix: "DB_" }] }],
    kubernetes_secret: [{ destination: join(dir, "k8s/secret.yaml"), name: "app-secrets", namespace: "prod", data: { "api-key": "out/api" }, from: [{ secret: "out/db" }] }],
  };
}

test("templates, .env files and Kubernetes Secrets are rendered 0600; a change re-renders and runs the command once (debounced)", async () => {
  const dir = tempDir("agent-out-");
  const log = captureLogger();
  let agent: RunningAgent | undefined;
  try {
    agent = await startTestAgent(s.endpoint, { ttl_seconds: 300, ...outputsTable(dir, 1500) }, { logger: log.logger });
    const conf = join(dir, "app.conf");
    assert.equal(readFileSync(conf, "utf8"), `user=app\npass=${JSON.stringify(PASSWORD)}\n`);
    assert.equal(readFileSync(join(dir, "app.env"), "utf8"), ENV_EXPECTED);
    assert.equal(readFileSync(join(dir, "k8s/secret.yaml"), "utf8"), K8S_EXPECTED);
    for (const f of ["app.conf", "app.env", "k8s/secret.yaml"]) assert.equal(mode(join(dir, f)), 0o600, f);
    await waitFor("the command after the first render", 5000, async () => (lines(join(dir, "runs.log")) === 1 ? true : undefined));
    // Changes made before the feed is up are not pushed (the feed starts at the server's position when it connects).
    await waitFor("the feed to connect", 5000, async () => (agent!.feedUp() ? true : undefined));

    const c = smClient(s.endpoint);
    for (const p of ["n1", "n2", "n3"]) await c.send(new PutSecretValueCommand({ SecretId: "out/db", SecretString: JSON.stringify({ username: "app", password: p }) }));
    await waitFor("the re-rendered template", 3000, async () => (readFileSync(conf, "utf8") === 'user=app\npass="n3"\n' ? true : undefined));
    assert.equal(mode(conf), 0o600);
    await waitFor("the command after the changes", 5000, async () => (lines(join(dir, "runs.log")) >= 2 ? true : undefined));
    // A new version with the same content renders the same bytes: no write, no command.
    await c.send(new PutSecretValueCommand({ SecretId: "out/db", SecretString: JSON.stringify({ username: "app", password: "n3" }) }));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(lines(join(dir, "runs.log")), 2, "three changes within the debounce window ran the command once");
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
    assert.ok(!log.lines.join("").includes("n3") && !log.lines.join("").includes(PASSWORD));
  } finally {
    await agent?.close();
  }
});

test("runAgent --once renders and returns 0 without running commands; a missing secret makes it return 1 and keep the old file", async () => {
  const dir = tempDir("agent-once-");
  const cfg = join(dir, "agent.toml");
  writeFileSync(cfg, `ttl_seconds = 300\nlog_level = "NONE"\n\n[[template]]\ndestination = "app.conf"\ncontents = 'api={{ secret "out/api" }}'\ncommand = "echo ran >> runs.log"\n\n[[env_file]]\ndestination = "out/app.env"\nvars = { API_KEY = "out/api" }\n`);
  const env = { AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION };
  assert.equal(await runAgent({ config: cfg, once: true, endpointUrl: s.endpoint }, env), 0);
  assert.equal(readFileSync(join(dir, "app.conf"), "utf8"), "api=key-123");
  assert.equal(readFileSync(join(dir, "out/app.env"), "utf8"), 'API_KEY="key-123"\n');
  assert.equal(mode(join(dir, "app.conf")), 0o600);
  assert.equal(existsSync(join(dir, "runs.log")), false);
  writeFileSync(cfg, readFileSync(cfg, "utf8").replace('secret "out/api"', 'secret "out/nope"'));
  assert.equal(await runAgent({ config: cfg, once: true, endpointUrl: s.endpoint }, env), 1);
  assert.equal(readFileSync(join(dir, "app.conf"), "utf8"), "api=key-123");
});

test("configuration mistakes are all reported before anything starts", async () => {
  const dir = tempDir("agent-cfg-");
  const cfg = join(dir, "agent.toml");
  writeFileSync(cfg, `http_port = 80\nttl_seconds = 5000\nbogus = 1\n\n[[template]]\ndestination = "x"\ncontents = '{{ secret }}'\n`);
  await assert.rejects(runAgent({ config: cfg, once: true }, {}), (e: Error) => /http_port/.test(e.message) && /ttl_seconds/.test(e.message) && /unknown key bogus/.test(e.message) && /template\[0\]\.contents/.test(e.message));
});
