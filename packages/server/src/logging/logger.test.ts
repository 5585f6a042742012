import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { loadConfig } from "../config/load.js";
import { CLI, runProcess, tempDir } from "../testing/harness.js";
import { createLogger, hashName, logHashKey } from "./logger.js";

function capture(hashSecretNames: boolean) {
  const dataDir = tempDir();
  const lines: string[] = [];
  const sink = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
  const config = loadConfig({ env: {}, flags: { dataDir }, overrides: { log: { level: "info", hashSecretNames } } });
  return { log: createLogger(config, sink), lines, dataDir };
}

const ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:/prod/db-AbCdEf";

test("hashSecretNames: name and ARN fields and ARNs inside messages become a stable keyed hash", () => {
  const { log, lines, dataDir } = capture(true);
  log.info({ secretName: "/prod/db", secretArn: ARN, requestId: "r-1" }, "request");
  log.child({ component: "rotation" }).warn({ error: `cannot rotate ${ARN}: boom` }, `rotation of ${ARN} failed`);
  const key = logHashKey(dataDir);
  const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, string>);
  assert.equal(a!.secretName, hashName(key, "/prod/db"));
  assert.equal(a!.secretArn, hashName(key, ARN));
  assert.equal(a!.requestId, "r-1");
  assert.equal(b!.msg, `rotation of ${hashName(key, ARN)} failed`);
  assert.equal(b!.error, `cannot rotate ${hashName(key, ARN)}: boom`);
  for (const l of lines) assert.ok(!l.includes("/prod/db"));
  assert.notEqual(hashName(key, "/prod/db"), hashName(Buffer.alloc(32), "/prod/db"), "keyed");
});

test("without the switch names are logged as they are", () => {
  const { log, lines } = capture(false);
  log.info({ secretName: "/prod/db" }, "request");
  assert.equal((JSON.parse(lines[0]!) as { secretName: string }).secretName, "/prod/db");
});

test("keyshift log hash-name prints the hash the logs use; without a key it says so", async () => {
  const { log, lines, dataDir } = capture(true);
  log.info({ secretName: "/prod/db" }, "request");
  const logged = (JSON.parse(lines[0]!) as { secretName: string }).secretName;
  const r = await runProcess(process.execPath, [CLI, "log", "hash-name", "--data-dir", dataDir, "/prod/db"], { PATH: process.env.PATH });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${logged}\t/prod/db\n`);
  const none = await runProcess(process.execPath, [CLI, "log", "hash-name", "--data-dir", tempDir(), "/prod/db"], { PATH: process.env.PATH });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no log hash key/);
});
