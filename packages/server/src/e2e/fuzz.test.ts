/**
 * Randomized mutated requests against a live server. Valid requests of all 23 operations are
 * built from templates, then mutated (members dropped, duplicated, retyped; random strings,
 * numbers, booleans, nulls and nested structures; truncated or garbled JSON; random
 * X-Amz-Target; odd headers) and sent signed. Every answer must be < 500, JSON with `__type` and
 * `Message` when not 200, must not echo a secret value, must refuse a duplicated member, and
 * must come back in time. Afterwards the server must still work and every seeded secret must
 * still have exactly its seeded metadata, versions, labels, values and policy.
 *
 * Seeded secrets are never the target of a write that could succeed: requests that name them
 * (their names, ARNs and version ids all contain "fz-seed") only go to read operations, except
 * for "always failing" write templates whose failing part is pinned (never mutated). Such a write
 * must leave nothing behind, which is the half-written check.
 *
 * Replay: FUZZ_SEED=<seed> (printed at the start). FUZZ_COUNT sets the number of requests.
 * FUZZ_REPORT=<file> writes every finding (full request and answer) as JSON lines.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { RequestTimeout, sendRaw, type RawRequest, type RawResponse } from "./sdk-raw-signer.js";

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000);
const TIMEOUT_MS = 10_000;
/** Put in every secret value the fuzzer sends: no answer but a value read may contain it. */
const MARKER = "FZVAL";
/** Put in random strings (which may legitimately be echoed, e.g. an invalid SecretId). */
const STR_MARK = "FZSTR";

/** sfc32, seeded through splitmix32: small, fast and reproducible. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 2 ** 32;
  };
}

const rnd = prng(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const chance = (p: number) => rnd() < p;
const pick = <T>(a: readonly T[]): T => a[int(a.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => "0123456789abcdef"[int(16)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

const SPECIAL_STRINGS = [
  "", " ", "null", "undefined", "NaN", "Infinity", "-1", "1e308", "__proto__", "constructor", "prototype", "toString",
  "../../etc/passwd", "%00", "' OR 1=1 --", "${jndi:ldap://x/a}", "<script>", "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING",
  "arn:", "arn:aws:secretsmanager:us-east-1:111122223333:secret:", "arn:aws:secretsmanager:us-east-1:999999999999:secret:x",
  "arn:aws:secretsmanager:us-east-1:111122223333:secret:x-AbC123", "arn:aws:lambda:us-east-1:111122223333:function:f",
  "a-AbC123", "!", "!!", "!name", "*", "\u0000", "\u0000\u0000", "\ud800", "\udfff", "\ud83d", "é", "🔑", "\u202e", "\ufeff",
  "\u200b", "Ω≈ç√", "日本語", "\r\n", "\t", "\\", '"', "'", "a".repeat(129), "a".repeat(257), "a".repeat(513), "a".repeat(2049),
];

function randomChar(): string {
  switch (int(8)) {
    case 0: return String.fromCharCode(int(32)); // control
    case 1: return String.fromCharCode(0xd800 + int(0x800)); // lone surrogate
    case 2: return String.fromCodePoint(0x1f300 + int(0x300)); // emoji (pair)
    case 3: return String.fromCharCode(0x4e00 + int(0x5000)); // CJK
    case 4: return String.fromCharCode(0x300 + int(0x70)); // combining marks
    case 5: return String.fromCharCode(0x590 + int(0x100)); // RTL
    default: return String.fromCharCode(32 + int(95)); // printable ASCII
  }
}

function randomString(): string {
  switch (int(10)) {
    case 0: return pick(SPECIAL_STRINGS);
    case 1: return "";
    case 2: {
      // Large, now and then over the 64 KiB value limit, rarely over the 1 MiB body limit.
      const n = chance(0.03) ? 1024 * 1024 + int(1000) : chance(0.3) ? 65_000 + int(1_000) : 2_000 + int(60_000);
      return STR_MARK + "x".repeat(n);
    }
    case 3: return Array.from({ length: 1 + int(40) }, randomChar).join("");
    case 4: return Array.from({ length: 1 + int(20) }, () => String.fromCharCode(int(32))).join("");
    case 5: return `${STR_MARK}-${hex(1 + int(30))}`;
    case 6: return uuid();
    default: return Array.from({ length: int(64) }, () => String.fromCharCode(33 + int(94))).join("");
  }
}

const NUMBERS = [0, -0, 1, -1, 6, 7, 20, 21, 30, 31, 100, 101, 1000, 1001, 4096, 4097, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 1e308, -1e308, 0.5, -0.5, 1e-7, 3.14159];
function randomNumber(): number {
  return chance(0.7) ? pick(NUMBERS) : chance(0.5) ? int(200) - 100 : (rnd() - 0.5) * 10 ** int(20);
}

function randomValue(depth = 0): unknown {
  switch (int(depth > 3 ? 5 : 8)) {
    case 0: return randomString();
    case 1: return randomNumber();
    case 2: return chance(0.5);
    case 3: return null;
    case 4: return pick(["true", "false", "1", "0", "NaN", "1e999"]);
    case 5: return Array.from({ length: int(4) }, () => randomValue(depth + 1));
    case 6: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(["Key", "Value", "Region", "a", randomString().slice(0, 20)]), randomValue(depth + 1)]));
    default: return { Key: randomString().slice(0, 200), Values: [randomString().slice(0, 100)] };
  }
}

// ---- seeded secrets ----
interface Seeded {
  name: string;
  arn: string;
  versions: { id: string; value: { SecretString?: string; SecretBinary?: string } }[];
  deleted?: boolean;
}
const seeded: Seeded[] = [];
const seedVersionIds: string[] = [];
const SCRATCH = Array.from({ length: 8 }, (_, i) => `fz-scr-${i}`);
const scratchArns: string[] = [];
const scratchVersionIds: string[] = [];
const READ_OPS = ["DescribeSecret", "GetSecretValue", "GetResourcePolicy", "ListSecretVersionIds", "ListSecrets", "BatchGetSecretValue", "ValidateResourcePolicy", "GetRandomPassword"];
const ALL_OPS = [
  "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy", "DeleteSecret", "DescribeSecret", "GetRandomPassword",
  "GetResourcePolicy", "GetSecretValue", "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy", "PutSecretValue", "RemoveRegionsFromReplication",
  "ReplicateSecretToRegions", "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource", "UntagResource", "UpdateSecret",
  "UpdateSecretVersionStage", "ValidateResourcePolicy",
];

const readIds = () => [...seeded.flatMap((x) => [x.name, x.arn, x.arn.slice(0, -7)]), ...SCRATCH, ...scratchArns, "fz-missing"];
const writeIds = () => [...SCRATCH, ...scratchArns, ...scratchArns.map((a) => a.slice(0, -7)), `fz-new-${int(50)}`, "fz-missing"];
const anyVersionId = () => (chance(0.5) && scratchVersionIds.length ? pick(scratchVersionIds) : chance(0.5) ? uuid() : pick(seedVersionIds));
const scratchVersionId = () => (scratchVersionIds.length && chance(0.7) ? pick(scratchVersionIds) : uuid());
const stage = () => pick(["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING", "OLD", "CUSTOM", randomString().slice(0, 50)]);
const region = () => pick(["eu-west-1", "us-west-2", "ap-south-1", "us-east-1", "mars-north-1", "eu-central-1"]);
const policy = () =>
  pick([
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "secretsmanager:GetSecretValue", Resource: "*" }] }),
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] }),
    JSON.stringify({ Statement: { Effect: "Deny", Principal: "*", NotAction: ["a", "b"], Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } } }),
    JSON.stringify(randomValue()),
    randomString(),
  ]);
const tags = () => Array.from({ length: int(5) }, () => ({ Key: chance(0.8) ? `k${int(10)}` : randomString().slice(0, 140), Value: chance(0.8) ? `v${int(10)}` : randomString().slice(0, 300) }));
const filters = () =>
  Array.from({ length: int(4) }, () => ({
    Key: pick(["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all", "bogus"]),
    Values: Array.from({ length: 1 + int(3) }, () => pick(["fz", "fz-seed", "!fz", "k1", "v1", "us-east-1", "", "!", randomString().slice(0, 30)])),
  }));
const value = (): Record<string, string> =>
  chance(0.7) ? { SecretString: `${MARKER}-${hex(4 + int(40))}` } : { SecretBinary: Buffer.from(`${MARKER}${hex(int(20))}`).toString("base64") };

interface Template {
  op: string;
  body: Record<string, unknown>;
  /** Members never mutated (the part that makes a write on a seeded secret fail). */
  pinned?: string[];
}

/** A valid (or, for seeded writes, always failing) request of `op`. */
function template(op: string): Template {
  const opt = (p: number, v: () => unknown) => (chance(p) ? v() : undefined);
  const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const t = (body: Record<string, unknown>): Template => ({ op, body: strip(body) });
  switch (op) {
    case "BatchGetSecretValue":
      return chance(0.5)
        ? t({ SecretIdList: Array.from({ length: 1 + int(5) }, () => pick(readIds())) })
        : t({ Filters: filters(), MaxResults: opt(0.5, () => 1 + int(20)) });
    case "CancelRotateSecret":
      return t({ SecretId: pick(writeIds()) });
    case "CreateSecret":
      if (chance(0.15)) {
        // Always fails: the name exists, and the token of its first version comes with another value.
        const s = pick(seeded.filter((x) => !x.deleted));
        return { op, body: { Name: s.name, ClientRequestToken: s.versions[0]!.id, ...value(), Description: randomString().slice(0, 100), Tags: tags() }, pinned: ["Name", "ClientRequestToken"] };
      }
      return t({
        Name: pick([...SCRATCH, `fz-new-${int(50)}`]),
        ClientRequestToken: uuid(),
        ...(chance(0.8) ? value() : {}),
        Description: opt(0.5, () => randomString().slice(0, 100)),
        KmsKeyId: opt(0.2, () => "alias/fz"),
        Tags: opt(0.4, tags),
        AddReplicaRegions: opt(0.1, () => [{ Region: region() }]),
        ForceOverwriteReplicaSecret: opt(0.1, () => chance(0.5)),
      });
    case "DeleteResourcePolicy":
      return t({ SecretId: pick(writeIds()) });
    case "DeleteSecret":
      if (chance(0.2)) {
        // Always fails: the recovery window is out of range.
        return {
          op,
          body: { SecretId: pick(seeded.filter((x) => !x.deleted)).name, RecoveryWindowInDays: pick([0, 1, 6, 31, 365, -7]), ForceDeleteWithoutRecovery: chance(0.5) },
          pinned: ["SecretId", "RecoveryWindowInDays"],
        };
      }
      return t({ SecretId: pick(writeIds()), ...(chance(0.5) ? { RecoveryWindowInDays: 7 + int(24) } : { ForceDeleteWithoutRecovery: chance(0.7) }) });
    case "DescribeSecret":
      return t({ SecretId: pick(readIds()) });
    case "GetRandomPassword":
      return t({
        PasswordLength: opt(0.7, () => 1 + int(100)),
        ExcludeCharacters: opt(0.3, () => randomString().slice(0, 100)),
        ExcludeNumbers: opt(0.3, () => chance(0.5)),
        ExcludePunctuation: opt(0.3, () => chance(0.5)),
        ExcludeUppercase: opt(0.3, () => chance(0.5)),
        ExcludeLowercase: opt(0.3, () => chance(0.5)),
        IncludeSpace: opt(0.3, () => chance(0.5)),
        RequireEachIncludedType: opt(0.3, () => chance(0.5)),
      });
    case "GetResourcePolicy":
      return t({ SecretId: pick(readIds()) });
    case "GetSecretValue":
      return t({ SecretId: pick(readIds()), VersionId: opt(0.4, anyVersionId), VersionStage: opt(0.3, stage) });
    case "ListSecretVersionIds":
      return t({ SecretId: pick(readIds()), MaxResults: opt(0.5, () => 1 + int(100)), IncludeDeprecated: opt(0.5, () => chance(0.5)), NextToken: opt(0.1, () => Buffer.from(JSON.stringify({ o: int(5), s: randomString().slice(0, 10) })).toString("base64url")) });
    case "ListSecrets":
      return t({
        Filters: opt(0.5, filters),
        MaxResults: opt(0.5, () => 1 + int(100)),
        SortOrder: opt(0.3, () => pick(["asc", "desc"])),
        SortBy: opt(0.3, () => pick(["created-date", "last-accessed-date", "last-changed-date", "name"])),
        IncludePlannedDeletion: opt(0.3, () => chance(0.5)),
        NextToken: opt(0.15, () =>
          Buffer.from(JSON.stringify({ k: pick([0, 1e308, -1, "", "fz", null, [], {}]), u: pick(["", "x", randomString().slice(0, 10)]), b: pick(["created-date", "name", "x"]), o: pick(["asc", "desc", 1]) })).toString("base64url"),
        ),
      });
    case "PutResourcePolicy":
      if (chance(0.15)) {
        // Always fails: the document is not a policy.
        return { op, body: { SecretId: pick(seeded.filter((x) => !x.deleted)).name, ResourcePolicy: `{${randomString().slice(0, 100)}`, BlockPublicPolicy: chance(0.5) }, pinned: ["SecretId", "ResourcePolicy"] };
      }
      return t({ SecretId: pick(writeIds()), ResourcePolicy: policy(), BlockPublicPolicy: opt(0.5, () => chance(0.5)) });
    case "PutSecretValue":
      if (chance(0.2)) {
        // Always fails: a token already used by a seeded version, with another value.
        const s = pick(seeded.filter((x) => !x.deleted));
        return { op, body: { SecretId: s.name, ClientRequestToken: pick(s.versions).id, ...value(), VersionStages: opt(0.5, () => [stage()]) }, pinned: ["SecretId", "ClientRequestToken"] };
      }
      return t({ SecretId: pick(writeIds()), ClientRequestToken: uuid(), ...value(), VersionStages: opt(0.4, () => Array.from({ length: 1 + int(3) }, stage)) });
    case "RemoveRegionsFromReplication":
      return t({ SecretId: pick(writeIds()), RemoveReplicaRegions: Array.from({ length: 1 + int(2) }, region) });
    case "ReplicateSecretToRegions":
      if (chance(0.2)) {
        return { op, body: { SecretId: pick(seeded.filter((x) => !x.deleted)).name, AddReplicaRegions: [{ Region: "us-east-1" }], ForceOverwriteReplicaSecret: chance(0.5) }, pinned: ["SecretId", "AddReplicaRegions"] };
      }
      return t({ SecretId: pick(writeIds()), AddReplicaRegions: Array.from({ length: 1 + int(2) }, () => ({ Region: region(), KmsKeyId: opt(0.3, () => "alias/r") })), ForceOverwriteReplicaSecret: opt(0.3, () => chance(0.5)) });
    case "RestoreSecret":
      return t({ SecretId: pick(writeIds()) });
    case "RotateSecret":
      return t({
        SecretId: pick(writeIds()),
        ClientRequestToken: opt(0.9, uuid),
        RotationLambdaARN: opt(0.6, () => pick(["arn:aws:lambda:us-east-1:111122223333:function:rot", "", randomString().slice(0, 100)])),
        RotationRules: opt(0.5, () =>
          chance(0.5) ? { AutomaticallyAfterDays: pick([1, 30, 1000, 0, 1001]) } : { ScheduleExpression: pick(["rate(4 hours)", "cron(0 1 * * ? *)", "rate(1 days)", randomString().slice(0, 40)]), Duration: opt(0.5, () => pick(["3h", "1h", "24h", "0h", "xh"])) },
        ),
        RotateImmediately: opt(0.5, () => chance(0.5)),
      });
    case "StopReplicationToReplica":
      return t({ SecretId: pick(writeIds()) });
    case "TagResource":
      if (chance(0.2)) {
        // Always fails: a reserved aws: key among otherwise valid tags.
        const list = tags();
        list.splice(int(list.length + 1), 0, { Key: `aws:${hex(4)}`, Value: "x" });
        return { op, body: { SecretId: pick(seeded.filter((x) => !x.deleted)).name, Tags: list }, pinned: ["SecretId", "Tags"] };
      }
      return t({ SecretId: pick(writeIds()), Tags: tags() });
    case "UntagResource":
      return t({ SecretId: pick(writeIds()), TagKeys: Array.from({ length: int(4) }, () => `k${int(10)}`) });
    case "UpdateSecret":
      if (chance(0.2)) {
        // Always fails: a value with the token of an existing seeded version. The new description must not stick.
        const s = pick(seeded.filter((x) => !x.deleted));
        return { op, body: { SecretId: s.name, ClientRequestToken: s.versions[0]!.id, SecretString: `${MARKER}-${hex(8)}`, Description: randomString().slice(0, 100), KmsKeyId: opt(0.3, () => "alias/changed") }, pinned: ["SecretId", "ClientRequestToken", "SecretString"] };
      }
      return t({ SecretId: pick(writeIds()), ClientRequestToken: opt(0.8, uuid), ...(chance(0.5) ? value() : {}), Description: opt(0.5, () => randomString().slice(0, 100)), KmsKeyId: opt(0.2, () => "alias/u") });
    case "UpdateSecretVersionStage":
      if (chance(0.2)) {
        // Always fails: AWSCURRENT is removed "from" a version that does not carry it.
        const s = seeded[0]!;
        return { op, body: { SecretId: s.name, VersionStage: "AWSCURRENT", RemoveFromVersionId: s.versions[0]!.id, MoveToVersionId: opt(0.7, () => pick(s.versions).id) }, pinned: ["SecretId", "VersionStage", "RemoveFromVersionId"] };
      }
      return t({ SecretId: pick(writeIds()), VersionStage: stage(), RemoveFromVersionId: opt(0.5, scratchVersionId), MoveToVersionId: opt(0.7, scratchVersionId) });
    case "ValidateResourcePolicy":
      return t({ SecretId: opt(0.5, () => pick(readIds())), ResourcePolicy: policy() });
  }
  throw new Error(`no template for ${op}`);
}

/** One fuzz case: the request to send and what the invariants need to know about it. */
interface Case {
  i: number;
  req: RawRequest;
  op: string;
  target: string;
  body: string;
  mutations: string[];
  duplicateKey: boolean;
}

function jsonKey(k: string, escape: boolean): string {
  if (!escape || k.length === 0) return JSON.stringify(k);
  return `"\\u${k.charCodeAt(0).toString(16).padStart(4, "0")}${JSON.stringify(k).slice(2)}`;
}

function buildCase(i: number): Case {
  const tmpl = template(pick(ALL_OPS));
  const pinned = new Set(tmpl.pinned ?? []);
  const seededWrite = pinned.size > 0;
  const body: Record<string, unknown> = { ...tmpl.body };
  const mutations: string[] = [];
  const free = () => Object.keys(body).filter((k) => !pinned.has(k));
  const n = chance(0.08) ? 0 : 1 + int(3);
  for (let m = 0; m < n; m++) {
    const keys = free();
    switch (int(7)) {
      case 0:
        if (keys.length) {
          const k = pick(keys);
          delete body[k];
          mutations.push(`drop ${k}`);
        }
        break;
      case 1:
      case 2:
        if (keys.length) {
          const k = pick(keys);
          body[k] = randomValue();
          mutations.push(`retype ${k}`);
        }
        break;
      case 3:
        if (keys.length) {
          const k = pick(keys);
          body[k] = randomString();
          mutations.push(`string ${k}`);
        }
        break;
      case 4:
        if (keys.length) {
          const k = pick(keys);
          body[k] = randomNumber();
          mutations.push(`number ${k}`);
        }
        break;
      case 5: {
        const k = pick(["Unknown", "secretId", "SECRETID", "__proto__", "constructor", "Filters", "MaxResults", "SecretString", "NextToken"]);
        if (!pinned.has(k) && !Object.hasOwn(body, k)) {
          // defineProperty: plain assignment to __proto__ would set the prototype, not a member.
          Object.defineProperty(body, k, { value: randomValue(), enumerable: true, writable: true, configurable: true });
          mutations.push(`add ${k}`);
        }
        break;
      }
      default:
        if (keys.length) {
          const k = pick(keys);
          body[k] = chance(0.5) ? [body[k], randomValue()] : { nested: body[k] };
          mutations.push(`wrap ${k}`);
        }
    }
  }
  let text = JSON.stringify(body);
  let duplicateKey = false;
  const textMutation = int(seededWrite ? 4 : 12);
  if (textMutation === 0) {
    // A member whose value is undefined is not in the text at all: only those that are can be duplicated.
    const inText = new Set(Object.keys(JSON.parse(text) as object));
    const keys = free().filter((k) => inText.has(k));
    if (keys.length) {
      const k = pick(keys);
      const escape = chance(0.5);
      text = `${text.slice(0, -1)}${text.length > 2 ? "," : ""}${jsonKey(k, escape)}:${JSON.stringify(randomValue()) ?? "null"}}`;
      duplicateKey = true;
      mutations.push(`duplicate ${k}${escape ? " (escaped)" : ""}`);
    }
  } else if (textMutation === 1) {
    const cut = int(Math.max(1, text.length - 1));
    text = text.slice(0, cut);
    mutations.push(`truncate at ${cut}`);
  } else if (!seededWrite && textMutation === 4) {
    const chars = [...text];
    for (let j = 0; j < 1 + int(3); j++) chars[int(chars.length)] = pick(['"', "{", "}", "[", "]", ",", ":", "\\", "\u0000", "x", " ", "é"]);
    text = chars.join("");
    mutations.push("garble");
  } else if (!seededWrite && textMutation === 5) {
    text = pick(["", "{}", "[]", "null", "1", '"x"', "{", "}", "{{}}", '{"a":1e999}', '{"MaxResults":1e999}', '{"MaxResults":-0}', '{"SecretId":NaN}', "\ufeff{}", "{}  \n\t ", `{"SecretId":${"[".repeat(5000)}${"]".repeat(5000)}}`, `${"[".repeat(100_000)}${"]".repeat(100_000)}`]);
    mutations.push("replace body");
  } else if (!seededWrite && textMutation === 6) {
    const d = 1 + int(20_000);
    const k = pick([...free(), "Tags", "Filters"]);
    text = `${text.slice(0, -1)}${text.length > 2 ? "," : ""}${JSON.stringify(k)}:${"[".repeat(d)}${"]".repeat(d)}}`;
    duplicateKey = Object.hasOwn(JSON.parse(JSON.stringify(body)) as object, k);
    mutations.push(`deep ${k} ${d}`);
  }

  // Target and headers.
  const bodyMentionsSeeded = text.includes("fz-seed");
  let target = `secretsmanager.${tmpl.op}`;
  const tm = int(20);
  if (tm === 0) {
    target = bodyMentionsSeeded ? `secretsmanager.${pick(READ_OPS)}` : `secretsmanager.${pick(ALL_OPS)}`;
    mutations.push("other op");
  } else if (tm === 1) {
    target = pick(["", "secretsmanager.", "secretsmanager", "SecretsManager.ListSecrets", "kms.Decrypt", "secretsmanager.GetSecretValue ", "secretsmanager.toString", "secretsmanager.hasOwnProperty", randomString().slice(0, 200)]);
    mutations.push("garbage target");
  }
  // Node refuses to send header values with other characters; the server never sees them.
  target = target.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?");
  const req: RawRequest = { target, body: Buffer.from(text, "utf8"), timeoutMs: TIMEOUT_MS };
  const hm = int(40);
  if (hm === 0) {
    req.headers = { "content-type": pick(["text/plain", "application/json", "", "application/x-amz-json-1.0"]) };
    mutations.push("content-type");
  } else if (hm === 1) {
    req.headers = { "x-amz-security-token": "FwoGZXIvYXdzEJr" };
    mutations.push("security token");
  } else if (hm === 2) {
    req.region = bodyMentionsSeeded ? "us-east-1" : pick(["eu-west-1", "us-west-2", "x"]);
    mutations.push(`region ${req.region}`);
  } else if (hm === 3) {
    req.sign = false;
    mutations.push("unsigned");
  } else if (hm === 4) {
    req.path = pick(["/x", "/?a=b", "//", "/%ZZ"]);
    mutations.push(`path ${req.path}`);
  }
  return { i, req, op: tmpl.op, target, body: text, mutations, duplicateKey };
}

// ---- run ----
let s: TestServer;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const send = (r: RawRequest) => sendRaw(s.endpoint, { agent, ...r });
async function ok(op: string, body: unknown): Promise<any> {
  const r = await send({ op, body });
  assert.equal(r.status, 200, `${op}: ${r.status} ${r.text.slice(0, 300)}`);
  return r.json;
}

/** What must not change: metadata (but LastAccessedDate), versions and labels, values by VersionId, policy. */
async function seededState(): Promise<unknown> {
  const out: unknown[] = [];
  for (const x of seeded) {
    const { LastAccessedDate: _a, ...meta } = await ok("DescribeSecret", { SecretId: x.arn });
    const versions = (await ok("ListSecretVersionIds", { SecretId: x.arn, IncludeDeprecated: true })).Versions.map(({ LastAccessedDate: _b, ...v }: Record<string, unknown>) => v);
    const values: unknown[] = [];
    if (!x.deleted) {
      for (const v of x.versions) {
        const got = await ok("GetSecretValue", { SecretId: x.arn, VersionId: v.id });
        values.push({ id: v.id, SecretString: got.SecretString, SecretBinary: got.SecretBinary, stages: [...got.VersionStages].sort() });
        assert.deepEqual({ SecretString: got.SecretString, SecretBinary: got.SecretBinary }, { SecretString: v.value.SecretString, SecretBinary: v.value.SecretBinary }, `seeded value of ${x.name} ${v.id}`);
      }
    }
    out.push({ meta, versions, values, policy: (await ok("GetResourcePolicy", { SecretId: x.arn })).ResourcePolicy ?? null });
  }
  return out;
}

let before_: unknown;
before(async () => {
  s = await startTestServer();
  const seedVersion = () => {
    const id = `fz-seed-ver-${uuid()}`;
    seedVersionIds.push(id);
    return id;
  };
  // A string secret with four versions and a custom label, a binary one, a tagged one with a policy, a deleted one.
  const str: Seeded = { name: "fz-seed-str", arn: "", versions: [] };
  for (let i = 1; i <= 4; i++) {
    const id = seedVersion();
    const v = { SecretString: `SVAL-str-${i}-${"é🔑\u0000".repeat(i)}` };
    const r = i === 1 ? await ok("CreateSecret", { Name: str.name, ClientRequestToken: id, ...v, Description: "seeded string" }) : await ok("PutSecretValue", { SecretId: str.name, ClientRequestToken: id, ...v, ...(i === 4 ? { VersionStages: ["OLD"] } : {}) });
    str.arn = r.ARN;
    str.versions.push({ id, value: v });
  }
  const bin: Seeded = { name: "fz-seed-bin", arn: "", versions: [] };
  for (let i = 1; i <= 2; i++) {
    const id = seedVersion();
    const v = { SecretBinary: Buffer.from(Array.from({ length: 64 * i }, (_, j) => (j * 37 + i) & 0xff)).toString("base64") };
    const r = i === 1 ? await ok("CreateSecret", { Name: bin.name, ClientRequestToken: id, ...v }) : await ok("PutSecretValue", { SecretId: bin.name, ClientRequestToken: id, ...v });
    bin.arn = r.ARN;
    bin.versions.push({ id, value: v });
  }
  const tagged: Seeded = { name: "fz-seed-tagged", arn: "", versions: [] };
  {
    const id = seedVersion();
    const v = { SecretString: "SVAL-tagged" };
    tagged.arn = (await ok("CreateSecret", { Name: tagged.name, ClientRequestToken: id, ...v, Description: "tagged", KmsKeyId: "alias/seed", Tags: [{ Key: "k1", Value: "v1" }, { Key: "team", Value: "fz" }] })).ARN;
    tagged.versions.push({ id, value: v });
    await ok("PutResourcePolicy", { SecretId: tagged.name, ResourcePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "secretsmanager:DeleteSecret", Resource: "*" }] }) });
  }
  const deleted: Seeded = { name: "fz-seed-deleted", arn: "", versions: [], deleted: true };
  {
    const id = seedVersion();
    deleted.arn = (await ok("CreateSecret", { Name: deleted.name, ClientRequestToken: id, SecretString: "SVAL-deleted" })).ARN;
    deleted.versions.push({ id, value: { SecretString: "SVAL-deleted" } });
    await ok("DeleteSecret", { SecretId: deleted.name, RecoveryWindowInDays: 30 });
  }
  seeded.push(str, bin, tagged, deleted);
  // Scratch secrets: what the fuzzed writes work on.
  for (const name of SCRATCH) {
    const id = uuid();
    scratchArns.push((await ok("CreateSecret", { Name: name, ClientRequestToken: id, SecretString: `${MARKER}-scratch` })).ARN);
    scratchVersionIds.push(id);
  }
  before_ = await seededState();
});
after(async () => {
  agent.destroy();
  await s?.close();
});

interface Finding {
  kind: string;
  c: Case;
  detail: string;
}

function describeCase(c: Case): string {
  const body = c.body.length > 400 ? `${c.body.slice(0, 400)}... (${c.body.length} chars)` : c.body;
  const extra = [c.req.region && `region=${c.req.region}`, c.req.sign === false && "unsigned", c.req.path && `path=${c.req.path}`, c.req.headers && `headers=${JSON.stringify(c.req.headers)}`].filter(Boolean).join(" ");
  return `#${c.i} X-Amz-Target: ${JSON.stringify(c.target)} ${extra}\n      mutations: ${c.mutations.join("; ") || "(none)"}\n      body: ${JSON.stringify(body)}`;
}

function check(c: Case, r: RawResponse): Finding[] {
  const out: Finding[] = [];
  const f = (kind: string, detail: string) => out.push({ kind, c, detail });
  const resp = `${r.status} ${r.text.slice(0, 300)}`;
  if (r.status >= 500) f(`HTTP ${r.status}`, resp);
  if (r.status !== 200) {
    if (!r.json || typeof r.json !== "object" || Array.isArray(r.json)) f("error body is not a JSON object", resp);
    else {
      if (typeof r.json.__type !== "string" || r.json.__type === "") f("error without __type", resp);
      if (typeof r.json.Message !== "string") f("error without Message", resp);
      if (r.headers["x-amzn-errortype"] !== r.json.__type) f("x-amzn-ErrorType differs from __type", resp);
    }
  } else if (!r.json || typeof r.json !== "object" || Array.isArray(r.json)) f("200 body is not a JSON object", resp);
  // HTTP drops spaces and tabs around a header value, so "secretsmanager.GetSecretValue " is GetSecretValue.
  const target = c.target.replace(/^[ \t]+|[ \t]+$/g, "");
  const readsValues = r.status === 200 && (target === "secretsmanager.GetSecretValue" || target === "secretsmanager.BatchGetSecretValue");
  if (!readsValues && (r.text.includes(MARKER) || r.text.includes("SVAL-") || r.text.includes(Buffer.from(MARKER).toString("base64").slice(0, 6)))) {
    f("a secret value is echoed", resp);
  }
  if (c.duplicateKey && r.status === 200) f("a duplicated member was accepted (last one wins)", resp);
  return out;
}

test(`fuzz: ${COUNT} mutated requests (FUZZ_SEED=${SEED})`, { timeout: 180_000 }, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
  console.log(`# fuzz seed: FUZZ_SEED=${SEED}`);
  const findings: Finding[] = [];
  const statuses = new Map<string, number>();
  const started = Date.now();
  for (let i = 0; i < COUNT; i++) {
    const c = buildCase(i);
    let r: RawResponse;
    try {
      r = await send(c.req);
    } catch (e) {
      findings.push({ kind: e instanceof RequestTimeout ? `no answer within ${TIMEOUT_MS} ms` : `connection error`, c, detail: String(e) });
      continue;
    }
    const key = `${r.status} ${r.json?.__type ?? ""}`.trim();
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    findings.push(...check(c, r));
    // Remember scratch versions created, so that later cases can point at them.
    if (r.status === 200 && typeof r.json?.VersionId === "string" && !r.json.VersionId.includes("fz-seed") && scratchVersionIds.length < 200) scratchVersionIds.push(r.json.VersionId);
  }
  const elapsed = Date.now() - started;
  t.diagnostic(`${COUNT} requests in ${elapsed} ms; answers: ${[...statuses].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(", ")}`);

  // The server still answers, reads and writes.
  await ok("GetRandomPassword", {});
  await ok("ListSecrets", { MaxResults: 100 });
  await ok("CreateSecret", { Name: "fz-after", ClientRequestToken: uuid(), SecretString: "after" });
  assert.equal((await ok("GetSecretValue", { SecretId: "fz-after" })).SecretString, "after");

  // Nothing was half-written on the seeded secrets.
  const after_ = await seededState();
  const byKind = new Map<string, Finding[]>();
  for (const x of findings) byKind.set(x.kind, [...(byKind.get(x.kind) ?? []), x]);
  if (process.env.FUZZ_REPORT) {
    writeFileSync(process.env.FUZZ_REPORT, findings.map((x) => JSON.stringify({ kind: x.kind, i: x.c.i, target: x.c.target, mutations: x.c.mutations, region: x.c.req.region, sign: x.c.req.sign, path: x.c.req.path, headers: x.c.req.headers, body: x.c.body.slice(0, 5000), answer: x.detail })).join("\n"));
  }
  const report = [...byKind]
    .map(([kind, list]) => `${kind}: ${list.length} request(s), e.g.\n${list.slice(0, 4).map((x) => `    ${describeCase(x.c)}\n      answer: ${x.detail}`).join("\n")}`)
    .join("\n");
  const problems: string[] = [];
  if (findings.length) problems.push(report);
  try {
    assert.deepEqual(after_, before_);
  } catch (e) {
    problems.push(`seeded secrets changed (something was half-written):\n${(e as Error).message}`);
  }
  assert.equal(problems.length, 0, `replay with FUZZ_SEED=${SEED}\n${problems.join("\n")}`);
});
