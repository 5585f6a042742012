// Micro-benchmark of policy evaluation (not a test): node packages/server/dist/iam/policy/evaluator.bench.js
import { compilePolicy, contextFromRecord, evaluate, type CompiledPolicy, type EvalRequest } from "./index.js";

const ACCT = "111122223333";
const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:${ACCT}:secret:${name}`;
const doc = (Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

const admin = [compilePolicy(doc([{ Effect: "Allow", Action: "*", Resource: "*" }]), "identity")];

// Twenty statements, most with conditions; the request is allowed by the last Allow, so every
// statement is looked at and the Deny conditions are evaluated.
const statements: unknown[] = [];
for (let i = 0; i < 14; i++) {
  statements.push({
    Sid: `Team${i}`,
    Effect: "Allow",
    Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    Resource: arn(`/team${i}/*`),
    Condition: { StringEquals: { "secretsmanager:ResourceTag/team": `team${i}` }, Bool: { "aws:SecureTransport": "true" } },
  });
}
statements.push(
  { Sid: "Home", Effect: "Allow", Action: "secretsmanager:*", Resource: arn("home/${aws:username}/*") },
  { Sid: "Stage", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn("/shared/*"), Condition: { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } } },
  { Sid: "NoPlainHttp", Effect: "Deny", Action: "*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
  { Sid: "Network", Effect: "Deny", Action: "secretsmanager:*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"] } } },
  { Sid: "Window", Effect: "Deny", Action: "secretsmanager:*", Resource: "*", Condition: { DateGreaterThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } } },
  { Sid: "Abac", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn("/prod/*"), Condition: { StringEquals: { "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}" }, "ForAllValues:StringLike": { "aws:TagKeys": ["env", "team"] } } },
);
const twenty = [compilePolicy(doc(statements), "identity")];

const context = contextFromRecord({
  "aws:SecureTransport": true,
  "aws:SourceIp": "10.1.2.3",
  "aws:CurrentTime": "2026-11-23T01:00:00Z",
  "secretsmanager:ResourceTag/team": "payments",
  "secretsmanager:VersionStage": "AWSCURRENT",
});
const req: EvalRequest = {
  action: "secretsmanager:GetSecretValue",
  resource: arn("/prod/billing/db-AbCdEf"),
  resourceAccount: ACCT,
  principal: { arn: `arn:aws:iam::${ACCT}:user/alice`, account: ACCT, username: "alice", tags: { team: "payments" } },
  context,
};

function run(name: string, policies: () => readonly CompiledPolicy[], r: EvalRequest): void {
  if (evaluate(r, policies()).effect !== "Allow") throw new Error(`${name}: expected Allow`);
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += evaluate(r, policies()).effect.length;
  const n = 1_000_000;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += evaluate(r, policies()).effect.length;
  const wall = Number(process.hrtime.bigint() - t0) / n;
  const c = process.cpuUsage(cpu0);
  const cpu = ((c.user + c.system) * 1000) / n;
  // CPU time is the fairer figure on a shared machine; wall time includes waiting for a core.
  const fmt = (ns: number) => `${Math.round(1e9 / ns).toLocaleString("en-US").padStart(11)}/s ${ns.toFixed(0).padStart(6)} ns`;
  console.log(`${name.padEnd(40)} cpu ${fmt(cpu)}   wall ${fmt(wall)}${sink < 0 ? "!" : ""}`);
}

const text = twenty[0]!.text;
console.log("evaluations per second and time per evaluation (GetSecretValue, allowed)");
run("admin: one Allow * on *", () => admin, req);
run("20 statements with conditions", () => twenty, req);
// The authorizer's likely shape: look the compiled policy up by its stored text on each call.
run("20 statements + compilePolicy cache hit", () => [compilePolicy(text, "identity")], req);
