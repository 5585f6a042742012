import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { compileFilters, splitWords, type Filter, type FilterableSecret } from "./list-filters.js";

/*
 * Every `moto` entry below was recorded from a running moto 5.2.1 server (`python3 -m moto.server`)
 * driven with boto3 ListSecrets over the same secrets as these fixtures, then checked by hand against
 * moto's filters.py. `moto: SAME` means moto answered exactly `expect`. Where we answer differently,
 * `moto` holds moto's answer and `why` says which source we followed.
 */

const SAME = "same" as const;

interface Case {
  f: [Filter["Key"], string[]][];
  expect: string[];
  moto: typeof SAME | string[];
  note?: string;
  why?: string;
}

const SECRETS: FilterableSecret[] = [
  {
    name: "prod/db/password",
    description: "Production database password",
    tags: [
      { Key: "Env", Value: "Prod" },
      { Key: "team", Value: "Payments" },
    ],
  },
  { name: "prod-api-key", description: "API key for payments", tags: [{ Key: "Env", Value: "prod" }] },
  { name: "ProdReport", tags: [] },
  {
    name: "dev/db/password",
    description: "development Database",
    tags: [
      { Key: "Env", Value: "dev" },
      { Key: "Owner", Value: "alice@example.com" },
    ],
  },
  { name: "MyTestSecret", description: "my test", tags: [{ Key: "Project", Value: "Blue.Green" }] },
  { name: "other_secret+v2", description: "two-words_and/more", tags: [] },
  { name: "appsecret", tags: [] },
  { name: "legacy", description: "API key for prod-db_1", tags: [{ Key: "cost-center", Value: "" }] },
];

const CASES: Case[] = [
  // --- name ---
  { f: [["name", ["prod"]]], expect: ["prod-api-key", "prod/db/password"], moto: SAME, note: "prefix of the whole name" },
  { f: [["name", ["Prod"]]], expect: ["ProdReport"], moto: SAME, note: "name is case-sensitive" },
  { f: [["name", ["PROD"]]], expect: [], moto: SAME },
  { f: [["name", ["db"]]], expect: [], moto: SAME, note: "no matching at / path components for name" },
  { f: [["name", ["prod/"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["name", ["prod/db/password"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["name", ["prod/db/password/x"]]], expect: [], moto: SAME },
  { f: [["name", ["!prod"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2"], moto: SAME, note: "negation" },
  { f: [["name", ["!Prod"]]], expect: ["MyTestSecret", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["name", [""]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "empty prefix matches every name" },
  { f: [["name", ["!"]]], expect: [], moto: SAME, note: "negated empty prefix matches nothing" },
  { f: [["name", ["prod", "dev"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME, note: "values are OR-ed" },
  { f: [["name", ["!prod", "!dev"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "negations are OR-ed too: every name fails one of the two prefixes" },
  { f: [["name", ["prod", "!prod-"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "a negation is just another OR-ed alternative" },
  { f: [["name", ["!prod-api"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod/db/password"], moto: SAME },
  { f: [["name", ["!!prod"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "only the first ! negates: not starting with \"!prod\"" },
  { f: [["name", ["password"]]], expect: [], moto: SAME },
  { f: [["name", ["l", "!leg"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME },
  // --- description ---
  { f: [["description", ["production"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["description", ["Production"]]], expect: ["prod/db/password"], moto: SAME, note: "description is case-insensitive" },
  { f: [["description", ["prod"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["description", ["database"]]], expect: ["dev/db/password", "prod/db/password"], moto: SAME, note: "word match, not prefix of the whole description" },
  { f: [["description", ["data"]]], expect: ["dev/db/password", "prod/db/password"], moto: SAME },
  { f: [["description", ["base"]]], expect: [], moto: SAME, note: "words match by prefix only" },
  { f: [["description", ["password production"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["description", ["production password"]]], expect: ["prod/db/password"], moto: SAME, note: "every word must match, in any order" },
  { f: [["description", ["key payments"]]], expect: ["prod-api-key"], moto: SAME },
  { f: [["description", ["!production"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key"], moto: SAME, note: "negation; secrets without a description never match" },
  { f: [["description", ["test"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["description", ["two"]]], expect: ["other_secret+v2"], moto: SAME },
  { f: [["description", ["words"]]], expect: [], moto: SAME, note: "\"two-words_and/more\" holds several separators, so it is one word" },
  { f: [["description", ["more"]]], expect: [], moto: SAME },
  { f: [["description", ["two-words"]]], expect: [], moto: SAME },
  { f: [["description", ["my test"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["description", ["mytest"]]], expect: [], moto: SAME, note: "\"mytest\" is one word and no description word starts with it" },
  { f: [["description", [""]]], expect: [], moto: SAME, note: "empty value has no words: matches nothing" },
  { f: [["description", ["!"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "negated empty value: every secret with a description" },
  { f: [["description", ["api key"]]], expect: ["prod-api-key"], moto: SAME },
  { f: [["description", ["database", "key"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["description", ["!database", "!key"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["description", ["development database"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["description", ["key"]]], expect: ["prod-api-key"], moto: SAME },
  { f: [["description", ["api key for prod-db_1"]]], expect: ["legacy"], moto: SAME },
  { f: [["description", ["prod"]]], expect: ["prod/db/password"], moto: SAME },
  // --- tag-key ---
  { f: [["tag-key", ["Env"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["tag-key", ["env"]]], expect: [], moto: SAME, note: "tag-key is case-sensitive" },
  { f: [["tag-key", ["E"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["tag-key", ["!Env"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod/db/password"], moto: SAME, note: "negation holds when SOME tag key does not match; untagged secrets never match" },
  { f: [["tag-key", ["Own"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["tag-key", ["team"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["tag-key", ["Team"]]], expect: [], moto: SAME },
  { f: [["tag-key", [""]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod-api-key", "prod/db/password"], moto: SAME, note: "empty prefix: every tagged secret" },
  { f: [["tag-key", ["!"]]], expect: [], moto: SAME },
  { f: [["tag-key", ["Env", "Own"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["tag-key", ["!Env", "!team"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["tag-key", ["cost-"]]], expect: ["legacy"], moto: SAME },
  // --- tag-value ---
  { f: [["tag-value", ["prod"]]], expect: ["prod-api-key"], moto: SAME },
  { f: [["tag-value", ["Prod"]]], expect: ["prod/db/password"], moto: SAME, note: "tag-value is case-sensitive" },
  { f: [["tag-value", ["alice@"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["tag-value", ["alice"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["tag-value", ["!prod"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod/db/password"], moto: SAME },
  { f: [["tag-value", ["Blue.Green"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["tag-value", ["Green"]]], expect: [], moto: SAME, note: "prefix of the whole value, no word split" },
  { f: [["tag-value", [""]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["tag-value", ["Payments"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["tag-value", ["pay"]]], expect: [], moto: SAME },
  { f: [["tag-value", ["!x"]]], expect: ["MyTestSecret", "dev/db/password", "legacy", "prod-api-key", "prod/db/password"], moto: SAME, note: "an empty tag value is still an attribute" },
  // --- all ---
  { f: [["all", ["prod"]]], expect: ["ProdReport", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["all", ["PROD"]]], expect: ["ProdReport", "prod-api-key", "prod/db/password"], moto: SAME, note: "all is case-insensitive and searches name, description, tag keys and values" },
  { f: [["all", ["report"]]], expect: ["ProdReport"], moto: SAME },
  { f: [["all", ["db password"]]], expect: ["dev/db/password", "prod/db/password"], moto: SAME, note: "path components of names are words" },
  { f: [["all", ["secret"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["other"]]], expect: ["other_secret+v2"], moto: SAME },
  { f: [["all", ["other_secret"]]], expect: [], moto: SAME, note: "\"other_secret+v2\" has two separators: one word, and \"other_secret\" is split into two words" },
  { f: [["all", ["v2"]]], expect: [], moto: SAME },
  { f: [["all", ["blue"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["green"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["alice"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["all", ["example"]]], expect: [], moto: SAME, note: "\"alice@example.com\" has two separators: not split" },
  { f: [["all", ["MyTest"]]], expect: ["MyTestSecret"], moto: SAME, note: "the pattern is split at capitals too" },
  { f: [["all", ["mytest"]]], expect: [], moto: SAME, note: "\"mytest\" is one word and no word starts with it" },
  { f: [["all", ["my test"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["/"]]], expect: [], moto: SAME, note: "a lone separator has no words" },
  { f: [["all", ["prod/db"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["all", ["prod-db"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["all", ["!prod"]]], expect: ["MyTestSecret", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "negation: some attribute does not match (only ProdReport has no other attribute)" },
  { f: [["all", [""]]], expect: [], moto: SAME, note: "empty value has no words: matches nothing" },
  { f: [["all", ["!"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME, note: "negated empty value: everything" },
  { f: [["all", ["api"]]], expect: ["legacy", "prod-api-key"], moto: SAME, note: "legacy's description is one word (two separators) starting with \"api\"" },
  { f: [["all", ["env"]]], expect: ["dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["all", ["payments"]]], expect: ["prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["all", ["prod", "dev"]]], expect: ["ProdReport", "dev/db/password", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["all", ["test secret"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["test prod"]]], expect: [], moto: SAME, note: "all words must match within ONE attribute" },
  { f: [["all", ["app"]]], expect: ["appsecret"], moto: SAME },
  { f: [["all", ["Secret"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["TestSecret"]]], expect: ["MyTestSecret"], moto: SAME },
  { f: [["all", ["key"]]], expect: ["prod-api-key"], moto: SAME },
  { f: [["all", ["words"]]], expect: [], moto: SAME },
  { f: [["all", ["two"]]], expect: ["other_secret+v2"], moto: SAME },
  { f: [["all", ["and"]]], expect: [], moto: SAME },
  { f: [["all", ["cost"]]], expect: ["legacy"], moto: SAME },
  { f: [["all", ["center"]]], expect: ["legacy"], moto: SAME },
  { f: [["all", ["cost-center"]]], expect: ["legacy"], moto: SAME },
  { f: [["all", ["!cost"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME },
  { f: [["all", ["legacy"]]], expect: ["legacy"], moto: SAME },
  { f: [["all", ["prod", "!prod"]]], expect: ["MyTestSecret", "ProdReport", "appsecret", "dev/db/password", "legacy", "other_secret+v2", "prod-api-key", "prod/db/password"], moto: SAME },
  // --- combined ---
  { f: [["name", ["prod"]], ["tag-key", ["team"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["name", ["prod"]], ["name", ["!prod-"]]], expect: ["prod/db/password"], moto: SAME, note: "filters are AND-ed, even with the same key" },
  { f: [["name", ["prod", "dev"]], ["description", ["database"]]], expect: ["dev/db/password", "prod/db/password"], moto: SAME },
  { f: [["all", ["prod"]], ["tag-value", ["Prod"]]], expect: ["prod/db/password"], moto: SAME },
  { f: [["tag-key", ["Env"]], ["tag-value", ["dev"]]], expect: ["dev/db/password"], moto: SAME },
  { f: [["name", ["prod"]], ["all", ["!prod"]]], expect: ["prod-api-key", "prod/db/password"], moto: SAME, note: "AND with a negated all filter" },
];

/**
 * primary-region and owning-service. moto can be driven for both (a replica via AddReplicaRegions; the
 * owning service via moto's tag `aws:secretsmanager:owningService`), and its answers below were recorded
 * that way. Here we follow the AWS docs (prefix match, case-sensitive, `!` supported) and differ from moto.
 */
const REGIONAL: FilterableSecret[] = [
  { name: "replicated", primaryRegion: "us-east-1", tags: [] },
  { name: "replicated-west", primaryRegion: "us-west-2", tags: [] },
  { name: "rds-db-1", owningService: "rds", tags: [] },
  { name: "appflow-conn", owningService: "appflow", tags: [] },
  { name: "plain", tags: [] },
];

const PRIMARY_WHY = "docs: prefix match, case-sensitive, ! negates; moto tests exact equality and ignores !";
const OWNING_WHY = "docs: prefix match, case-sensitive; moto applies the case-insensitive word match of `all`";

const REGIONAL_CASES: Case[] = [
  // --- primary-region ---
  { f: [["primary-region", ["us-east-1"]]], expect: ["replicated"], moto: SAME },
  { f: [["primary-region", ["us-west-2"]]], expect: ["replicated-west"], moto: SAME },
  { f: [["primary-region", ["us-east-1", "us-west-2"]]], expect: ["replicated", "replicated-west"], moto: SAME },
  { f: [["primary-region", ["eu-west-1"]]], expect: [], moto: SAME },
  { f: [["primary-region", ["US-EAST-1"]]], expect: [], moto: SAME, note: "case-sensitive" },
  { f: [["primary-region", ["us-east"]]], expect: ["replicated"], moto: [], why: PRIMARY_WHY },
  { f: [["primary-region", ["us-"]]], expect: ["replicated", "replicated-west"], moto: [], why: PRIMARY_WHY },
  { f: [["primary-region", ["!us-east-1"]]], expect: ["replicated-west"], moto: [], why: PRIMARY_WHY, note: "non-replicated secrets never match" },
  { f: [["primary-region", [""]]], expect: ["replicated", "replicated-west"], moto: [], why: PRIMARY_WHY },
  { f: [["primary-region", ["!"]]], expect: [], moto: SAME },
  // --- owning-service ---
  { f: [["owning-service", ["rds"]]], expect: ["rds-db-1"], moto: SAME },
  { f: [["owning-service", ["r"]]], expect: ["rds-db-1"], moto: SAME, note: "prefix" },
  { f: [["owning-service", ["app"]]], expect: ["appflow-conn"], moto: SAME },
  { f: [["owning-service", ["!rds"]]], expect: ["appflow-conn"], moto: SAME, note: "secrets without an owning service never match" },
  { f: [["owning-service", ["rds", "appflow"]]], expect: ["appflow-conn", "rds-db-1"], moto: SAME },
  { f: [["owning-service", ["RDS"]]], expect: [], moto: ["rds-db-1"], why: OWNING_WHY },
  { f: [["owning-service", ["App"]]], expect: [], moto: ["appflow-conn"], why: OWNING_WHY },
  { f: [["owning-service", [""]]], expect: ["appflow-conn", "rds-db-1"], moto: [], why: OWNING_WHY },
  { f: [["owning-service", ["!"]]], expect: [], moto: ["appflow-conn", "rds-db-1"], why: OWNING_WHY },
];

function run(secrets: readonly FilterableSecret[], c: Case): string[] {
  const pred = compileFilters(c.f.map(([Key, Values]) => ({ Key, Values })));
  return secrets
    .filter(pred)
    .map((s) => s.name)
    .sort();
}

function label(c: Case): string {
  return c.f.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" AND ") + (c.note ? ` (${c.note})` : "");
}

describe("compileFilters: name, description, tag-key, tag-value, all, combinations", () => {
  for (const c of CASES) {
    test(label(c), () => {
      assert.deepEqual(run(SECRETS, c), [...c.expect].sort());
    });
  }
});

describe("compileFilters: primary-region and owning-service", () => {
  for (const c of REGIONAL_CASES) {
    test(label(c), () => {
      assert.deepEqual(run(REGIONAL, c), [...c.expect].sort());
    });
  }
});

describe("comparison with moto 5.2.1", () => {
  const all = [...CASES, ...REGIONAL_CASES];
  test("every case states moto's answer, and every divergence says why", () => {
    for (const c of all) {
      if (c.moto === SAME) {
        assert.equal(c.why, undefined, label(c));
      } else {
        assert.notDeepEqual([...c.moto].sort(), [...c.expect].sort(), `${label(c)}: moto answers the same, use SAME`);
        assert.ok(c.why && c.why.length > 0, `${label(c)}: a divergence from moto needs a reason`);
      }
    }
  });
  test("we differ from moto only on primary-region and owning-service", () => {
    const divergent = all.filter((c) => c.moto !== SAME).map((c) => c.f[0]![0]);
    assert.deepEqual([...new Set(divergent)].sort(), ["owning-service", "primary-region"]);
  });
});

describe("compileFilters: general", () => {
  test("no filters, or an empty list, matches everything", () => {
    assert.equal(SECRETS.filter(compileFilters(undefined)).length, SECRETS.length);
    assert.equal(SECRETS.filter(compileFilters([])).length, SECRETS.length);
  });
  test("a filter with no values matches nothing (shape validation forbids it; moto answers the same)", () => {
    assert.equal(SECRETS.filter(compileFilters([{ Key: "name", Values: [] }])).length, 0);
  });
  test("the compiled predicate is reusable and does not depend on call order", () => {
    const pred = compileFilters([{ Key: "all", Values: ["prod"] }]);
    const a = SECRETS.filter(pred).map((s) => s.name);
    const b = [...SECRETS].reverse().filter(pred).map((s) => s.name).reverse();
    assert.deepEqual(a, b);
  });
  test("the filters array is not mutated", () => {
    const filters: Filter[] = [{ Key: "name", Values: ["!prod", "dev"] }];
    const copy = structuredClone(filters);
    SECRETS.filter(compileFilters(filters));
    assert.deepEqual(filters, copy);
  });
  test("every filter key of the model is handled", () => {
    const keys: Filter["Key"][] = ["description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"];
    for (const Key of keys) assert.doesNotThrow(() => SECRETS.filter(compileFilters([{ Key, Values: ["x"] }])), Key);
  });
  // Speed is measured by the bench; this only guards against a pathological (exponential) matcher.
  test("10 filters x 10 values on 10000 secrets completes", { timeout: 120_000 }, () => {
    const many: FilterableSecret[] = Array.from({ length: 10000 }, (_, i) => ({
      name: `team${i % 50}/service-${i}/DatabasePassword`,
      description: `Credentials for service ${i} owned by team ${i % 50}`,
      tags: Array.from({ length: 10 }, (_, j) => ({ Key: `key${j}`, Value: `value-${i}-${j}` })),
    }));
    const values = Array.from({ length: 10 }, (_, j) => (j % 2 ? `!team${j}` : `database password ${j}`));
    const filters: Filter[] = Array.from({ length: 10 }, (_, i) => ({ Key: i % 2 ? "all" : "description", Values: values }));
    const kept = many.filter(compileFilters(filters));
    assert.ok(kept.length <= many.length);
  });
});

describe("splitWords (port of moto split_words)", () => {
  const table: [string, string[]][] = [
    ["test", ["test"]],
    ["MyTest", ["My", "Test"]],
    ["MyTestPhrase", ["My", "Test", "Phrase"]],
    ["myTest", ["my", "Test"]],
    ["Mytest", ["Mytest"]],
    ["my test", ["my", "test"]],
    ["my/test", ["my", "test"]],
    ["prod/db/password", ["prod", "db", "password"]],
    ["/leading", ["leading"]],
    ["my/secret+value", ["my/secret+value"]],
    ["alice@example.com", ["alice@example.com"]],
    ["Blue.Green", ["Blue", "Green"]],
    ["ABC", ["ABC"]],
    ["test123", ["test123"]],
    ["/", []],
    ["@", []],
    ["", []],
  ];
  for (const [input, words] of table) {
    test(JSON.stringify(input), () => assert.deepEqual(splitWords(input), words));
  }
});
