import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { CLI, TEST_KEY_ID, TEST_REGION, TEST_SECRET, runProcess, startTestServer, tempDir, type TestServer } from "../testing/harness.js";
import { smClient } from "../testing/sm-client.js";
import { AGENT_TOKEN, agentGet, waitFor } from "./agent-test-helpers.js";

let s: TestServer;
let env: NodeJS.ProcessEnv;
before(async () => {
  s = await startTestServer();
  await smClient(s.endpoint).send(new CreateSecretCommand({ Name: "cli/db", SecretString: JSON.stringify({ password: "cli-pass-42" }) }));
  env = { PATH: process.env.PATH, HOME: "/nonexistent", AWS_ACCESS_KEY_ID: TEST_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_SECRET, AWS_REGION: TEST_REGION, AWS_TOKEN: AGENT_TOKEN };
});
after(async () => s.close());

test("keyshift agent --once renders the files and exits 0; a failing render exits 1 without printing the value", async () => {
  const dir = tempDir("agent-cli-");
  const cfg = join(dir, "agent.toml");
  writeFileSync(cfg, `[[template]]\ndestination = "db.pass"\ncontents = '{{ secret "cli/db" "password" }}'\n\n[[kubernetes_secret]]\ndestination = "db.yaml"\nname = "db"\ndata = { password = { secret = "cli/db", key = "password" } }\n`);
  const ok = await runProcess(process.execPath, [CLI, "agent", "--once", "--config", cfg, "--endpoint-url", s.endpoint], env);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(join(dir, "db.pass"), "utf8"), "cli-pass-42");
  assert.match(readFileSync(join(dir, "db.yaml"), "utf8"), new RegExp(`"password": "${Buffer.from("cli-pass-42").toString("base64")}"`));
  assert.equal(statSync(join(dir, "db.pass")).mode & 0o777, 0o600);
  writeFileSync(cfg, readFileSync(cfg, "utf8").replace('"cli/db" "password"', '"cli/db" "missing-key"'));
  const bad = await runProcess(process.execPath, [CLI, "agent", "--once", "--config", cfg, "--endpoint-url", s.endpoint], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /render failed/);
  assert.ok(!(bad.stdout + bad.stderr).includes("cli-pass-42"));
});

test("keyshift agent serves the agent protocol until SIGTERM", async () => {
  const child = spawn(process.execPath, [CLI, "agent", "--port", "0", "--endpoint-url", s.endpoint], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  try {
    const port = await waitFor("the agent to listen", 20_000, async () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      return m ? Number(m[1]) : undefined;
    });
    assert.equal((await agentGet(port, "/ping", {})).body, "healthy");
    const r = await agentGet(port, "/secretsmanager/get?secretId=cli/db");
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(JSON.parse(r.body).SecretString).password, "cli-pass-42");
  } finally {
    child.kill("SIGTERM");
  }
  assert.equal(await exited, 0, out);
  assert.ok(!out.includes("cli-pass-42"));
});
