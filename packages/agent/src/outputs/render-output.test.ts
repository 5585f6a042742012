import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAgentConfig } from "../config/agent-config.js";
import type { SecretValue } from "../upstream/upstream.js";
import { envFileText, kubernetesSecretText, prepareOutput, renderOutput } from "./render-output.js";
import { RenderError } from "./secret-ref.js";
import { parseTemplate, TemplateSyntaxError } from "./template-syntax.js";

const values: Record<string, SecretValue> = {
  db: { ARN: "arn:db", Name: "db", VersionId: "v1", VersionStages: ["AWSCURRENT"], SecretString: JSON.stringify({ user: "app", password: 'a"b', n: 5 }) },
  bin: { ARN: "arn:bin", Name: "bin", VersionId: "v1", VersionStages: ["AWSCURRENT"], SecretBinary: Buffer.from([1, 2, 3]).toString("base64") },
};
const source = async (r: { secretId: string }) => {
  const v = values[r.secretId];
  if (!v) throw new Error(`no secret ${r.secretId}`);
  return v;
};

test("templates: whole values, JSON keys, filters and literals", async () => {
  const c = parseAgentConfig(`[[template]]\ndestination = "/x"\ncontents = '{{ secret "db" "user" }}:{{ secret "db" "password" | json }}:{{ secret "bin" | base64 }}:{{ secret "db" "n" }}:{{ "{{" }}'\n`);
  const out = await renderOutput(prepareOutput(c.outputs[0]!), source);
  assert.equal(out.toString(), `app:"a\\"b":AQID:5:{{`);
  assert.throws(() => parseTemplate("a\n  {{ secret 'x' }}"), (e: TemplateSyntaxError) => /line 2, column 3/.test(e.message));
  const missing = parseAgentConfig(`[[template]]\ndestination = "/x"\ncontents = '{{ secret "db" "nope" }}'\n`);
  await assert.rejects(renderOutput(prepareOutput(missing.outputs[0]!), source), (e: RenderError) => e instanceof RenderError && !e.message.includes("a\"b"));
});

test(".env text escapes quotes, dollars, backslashes and newlines", () => {
  assert.equal(envFileText(new Map([["A", Buffer.from('x"y$z\\w\nv')]])), 'A="x\\"y\\$z\\\\w\\nv"\n');
});

test("a Kubernetes Secret manifest: sorted keys, base64 data, quoted strings", () => {
  assert.equal(
    kubernetesSecretText({ name: "app", type: "Opaque" }, new Map([["b", Buffer.from("2")], ["a.key", Buffer.from("1")]])),
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: "app"\ntype: "Opaque"\ndata:\n  "a.key": "MQ=="\n  "b": "Mg=="\n`,
  );
});

test("env and Kubernetes outputs expand [[from]] secrets with a prefix and reject keys that are not valid names", async () => {
  const c = parseAgentConfig(`[[env_file]]\ndestination = "/e"\nvars = { WHOLE = "bin" }\n[[env_file.from]]\nsecret = "db"\nprefix = "DB_"\n`);
  assert.equal((await renderOutput(prepareOutput(c.outputs[0]!), source)).toString(), 'WHOLE="\u0001\u0002\u0003"\nDB_user="app"\nDB_password="a\\"b"\nDB_n="5"\n');
  values.odd = { ARN: "arn:odd", Name: "odd", VersionId: "v1", VersionStages: [], SecretString: JSON.stringify({ "has space": "v" }) };
  const bad = parseAgentConfig(`[[env_file]]\ndestination = "/e"\n[[env_file.from]]\nsecret = "odd"\n`);
  await assert.rejects(renderOutput(prepareOutput(bad.outputs[0]!), source), /not a valid environment variable name/);
});
