import { test } from "node:test";
import assert from "node:assert/strict";
import { compilePolicy, contextFromRecord, evaluate, type ContextValue, type PrincipalInfo } from "./index.js";

const ACCT = "111122223333";
const OTHER = "444455556666";
const ALICE: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:user/alice`, account: ACCT, username: "alice", tags: { team: "payments" } };
const CAROL: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:user/carol`, account: ACCT, username: "carol" };
const ROOT: PrincipalInfo = { arn: `arn:aws:iam::${ACCT}:root`, account: ACCT, isRoot: true };
const BOB: PrincipalInfo = { arn: `arn:aws:iam::${OTHER}:user/bob`, account: OTHER, username: "bob" };
const BOB_ROOT: PrincipalInfo = { arn: `arn:aws:iam::${OTHER}:root`, account: OTHER, isRoot: true };
const ARN = (name: string, account = ACCT, region = "us-east-1") => `arn:aws:secretsmanager:${region}:${account}:secret:${name}`;
const SECRET = ARN("/prod/github-integration/token-AbCdEf");
const GET = "secretsmanager:GetSecretValue";

type Stmt = Record<string, unknown>;
interface Case {
  name: string;
  identity?: Stmt[][];
  resource?: Stmt[];
  version?: string;
  action?: string;
  arn?: string;
  principal?: PrincipalInfo;
  context?: Record<string, ContextValue>;
  /** "Allow", or a fragment of the deny reason. */
  expect: string;
}

const allow = (Action: unknown, Resource: unknown = "*", extra: Stmt = {}): Stmt => ({ Effect: "Allow", Action, Resource, ...extra });
const deny = (Action: unknown, Resource: unknown = "*", extra: Stmt = {}): Stmt => ({ Effect: "Deny", Action, Resource, ...extra });
const grant = (Principal: unknown, Action: unknown = GET, extra: Stmt = {}): Stmt => ({ Effect: "Allow", Principal, Action, Resource: "*", ...extra });
const refuse = (Principal: unknown, Action: unknown = GET, extra: Stmt = {}): Stmt => ({ Effect: "Deny", Principal, Action, Resource: "*", ...extra });
const when = (Condition: unknown, s: Stmt): Stmt => ({ ...s, Condition });

const IMPLICIT = "because no identity-based policy allows the secretsmanager:GetSecretValue action";
const NO_RESOURCE = "because no resource-based policy allows the secretsmanager:GetSecretValue action";
const ID_DENY = "with an explicit deny in an identity-based policy";
const RES_DENY = "with an explicit deny in a resource-based policy";

const cases: Case[] = [
  // Basics (AWS "policy evaluation logic": deny by default, explicit deny wins).
  { name: "no policy at all is an implicit deny", expect: IMPLICIT },
  { name: "an Allow for the action and secret allows", identity: [[allow(GET, SECRET)]], expect: "Allow" },
  { name: "an Allow for another secret is an implicit deny", identity: [[allow(GET, ARN("/prod/other-AbCdEf"))]], expect: IMPLICIT },
  { name: "an admin policy (* on *) allows", identity: [[allow("*")]], expect: "Allow" },
  { name: "Deny overrides Allow in the same policy", identity: [[allow("*"), deny(GET, SECRET)]], expect: ID_DENY },
  { name: "Deny in one identity policy overrides Allow in another", identity: [[allow("*")], [deny("secretsmanager:*")]], expect: ID_DENY },
  { name: "a resource-policy Deny overrides an identity Allow", identity: [[allow("*")]], resource: [refuse("*")], expect: RES_DENY },
  { name: "an identity Deny overrides a resource-policy Allow", identity: [[deny(GET)]], resource: [grant({ AWS: ALICE.arn })], expect: ID_DENY },
  { name: "a Deny for another action leaves the Allow", identity: [[allow("*"), deny("secretsmanager:DeleteSecret")]], expect: "Allow" },
  // Action
  { name: "action names are case-insensitive", identity: [[allow("SecretsManager:getsecretVALUE", SECRET)]], expect: "Allow" },
  { name: "the request action's case doesn't matter", identity: [[allow(GET)]], action: "SECRETSMANAGER:GetSecretValue", expect: "Allow" },
  { name: "Get* covers GetSecretValue", identity: [[allow("secretsmanager:Get*")]], expect: "Allow" },
  { name: "Get* does not cover PutSecretValue", identity: [[allow("secretsmanager:Get*")]], action: "secretsmanager:PutSecretValue", expect: "no identity-based policy allows the secretsmanager:PutSecretValue action" },
  { name: "secretsmanager:* covers every action of the service", identity: [[allow("secretsmanager:*")]], action: "secretsmanager:RotateSecret", expect: "Allow" },
  { name: "? matches one character", identity: [[allow("secretsmanager:?etSecretValue")]], expect: "Allow" },
  { name: "*Secret* in the middle", identity: [[allow("secretsmanager:*Secret*")]], action: "secretsmanager:DescribeSecret", expect: "Allow" },
  { name: "another service's wildcard doesn't match", identity: [[allow("kms:*")]], expect: IMPLICIT },
  { name: "an action list matches any of its entries", identity: [[allow(["secretsmanager:DescribeSecret", GET])]], expect: "Allow" },
  // NotAction
  { name: "Allow NotAction allows the other actions", identity: [[{ Effect: "Allow", NotAction: "secretsmanager:DeleteSecret", Resource: "*" }]], expect: "Allow" },
  { name: "Allow NotAction doesn't allow the excluded action", identity: [[{ Effect: "Allow", NotAction: "secretsmanager:DeleteSecret", Resource: "*" }]], action: "secretsmanager:DeleteSecret", expect: "no identity-based policy allows" },
  { name: "Deny NotAction denies everything but the read actions", identity: [[allow("*"), { Effect: "Deny", NotAction: [GET, "secretsmanager:DescribeSecret"], Resource: "*" }]], action: "secretsmanager:PutSecretValue", expect: ID_DENY },
  { name: "Deny NotAction leaves the read actions allowed", identity: [[allow("*"), { Effect: "Deny", NotAction: [GET, "secretsmanager:DescribeSecret"], Resource: "*" }]], expect: "Allow" },
  { name: "NotAction with a wildcard", identity: [[{ Effect: "Allow", NotAction: "secretsmanager:Delete*", Resource: "*" }]], expect: "Allow" },
  // Resource and NotResource
  { name: "hierarchical names: /prod/github-integration/* covers the token", identity: [[allow(GET, ARN("/prod/github-integration/*"))]], expect: "Allow" },
  { name: "hierarchical names: a sibling path is not covered", identity: [[allow(GET, ARN("/prod/github-integration/*"))]], arn: ARN("/prod/github-integration-old/token-AbCdEf"), expect: IMPLICIT },
  { name: "a region wildcard", identity: [[allow(GET, "arn:aws:secretsmanager:*:111122223333:secret:*")]], arn: ARN("x-AbCdEf", ACCT, "eu-west-1"), expect: "Allow" },
  { name: "the six ?????? of the random suffix", identity: [[allow(GET, ARN("/prod/github-integration/token-??????"))]], expect: "Allow" },
  { name: "?????? doesn't match a longer name", identity: [[allow(GET, ARN("/prod/github-integration/token-??????"))]], arn: ARN("/prod/github-integration/token-2-AbCdEf"), expect: IMPLICIT },
  { name: "another account's ARN doesn't match", identity: [[allow(GET, ARN("*", OTHER))]], expect: IMPLICIT },
  { name: "resource ARNs are case-sensitive", identity: [[allow(GET, ARN("/PROD/*"))]], expect: IMPLICIT },
  { name: "a resource list matches any entry", identity: [[allow(GET, [ARN("/dev/*"), ARN("/prod/*")])]], expect: "Allow" },
  { name: "ListSecrets (resource *) needs Resource *", identity: [[allow("secretsmanager:ListSecrets", ARN("*"))]], action: "secretsmanager:ListSecrets", arn: "*", expect: "no identity-based policy allows the secretsmanager:ListSecrets action" },
  { name: "ListSecrets is allowed by Resource *", identity: [[allow("secretsmanager:ListSecrets")]], action: "secretsmanager:ListSecrets", arn: "*", expect: "Allow" },
  { name: "NotResource allows the secrets outside it", identity: [[{ Effect: "Allow", Action: GET, NotResource: ARN("/prod/*") }]], arn: ARN("/dev/db-AbCdEf"), expect: "Allow" },
  { name: "NotResource doesn't allow the secrets inside it", identity: [[{ Effect: "Allow", Action: GET, NotResource: ARN("/prod/*") }]], expect: IMPLICIT },
  { name: "Deny NotResource fences everything outside /dev", identity: [[allow("*"), { Effect: "Deny", Action: "*", NotResource: ARN("/dev/*") }]], expect: ID_DENY },
  { name: "Deny NotResource leaves /dev allowed", identity: [[allow("*"), { Effect: "Deny", Action: "*", NotResource: ARN("/dev/*") }]], arn: ARN("/dev/x-AbCdEf"), expect: "Allow" },
  { name: "NotResource naming a secret applies to resource *", identity: [[{ Effect: "Allow", Action: "secretsmanager:ListSecrets", NotResource: ARN("x") }]], action: "secretsmanager:ListSecrets", arn: "*", expect: "Allow" },
  // Policy variables in Resource
  { name: "${aws:username} in Resource covers the caller's own folder", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], arn: ARN("home/alice/db-AbCdEf"), expect: "Allow" },
  { name: "${aws:username} in Resource doesn't cover another user's folder", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], arn: ARN("home/bob/db-AbCdEf"), expect: IMPLICIT },
  { name: "the same policy serves each user their own folder", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], principal: CAROL, arn: ARN("home/carol/db-AbCdEf"), expect: "Allow" },
  { name: "2008-10-17: ${aws:username} is literal text", version: "2008-10-17", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], arn: ARN("home/alice/db-AbCdEf"), expect: IMPLICIT },
  { name: "2008-10-17: the literal text matches itself", version: "2008-10-17", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], arn: ARN("home/${aws:username}/x"), expect: "Allow" },
  { name: "a variable without a value matches nothing", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], principal: { arn: ALICE.arn, account: ACCT }, arn: ARN("home//db-AbCdEf"), expect: IMPLICIT },
  { name: "a variable's default applies when it has no value", identity: [[allow(GET, ARN("home/${aws:username, 'shared'}/*"))]], principal: { arn: ALICE.arn, account: ACCT }, arn: ARN("home/shared/db-AbCdEf"), expect: "Allow" },
  { name: "${aws:PrincipalTag/team} in Resource", identity: [[allow(GET, ARN("team/${aws:PrincipalTag/team}/*"))]], arn: ARN("team/payments/db-AbCdEf"), expect: "Allow" },
  { name: "a * inside a user name is literal", identity: [[allow(GET, ARN("home/${aws:username}/*"))]], principal: { ...ALICE, username: "a*" }, arn: ARN("home/abc/db-AbCdEf"), expect: IMPLICIT },
  { name: "${*} is a literal star", identity: [[allow(GET, ARN("literal-${*}"))]], arn: ARN("literal-*"), expect: "Allow" },
  { name: "${*} is not a wildcard", identity: [[allow(GET, ARN("literal-${*}"))]], arn: ARN("literal-x"), expect: IMPLICIT },
  { name: "a context key as a variable", identity: [[allow(GET, ARN("${secretsmanager:Name}"))]], context: { "secretsmanager:Name": "/prod/github-integration/token-AbCdEf" }, expect: "Allow" },
  { name: "${aws:PrincipalAccount} comes from the principal", identity: [[allow(GET, "arn:aws:secretsmanager:us-east-1:${aws:PrincipalAccount}:secret:*")]], expect: "Allow" },
  // Conditions in context
  { name: "Deny without aws:SecureTransport=true: plain HTTP is denied", identity: [[allow("*"), when({ Bool: { "aws:SecureTransport": "false" } }, deny("*"))]], context: { "aws:SecureTransport": false }, expect: ID_DENY },
  { name: "Deny without aws:SecureTransport=true: HTTPS is allowed", identity: [[allow("*"), when({ Bool: { "aws:SecureTransport": "false" } }, deny("*"))]], context: { "aws:SecureTransport": true }, expect: "Allow" },
  { name: "Bool false on a missing key doesn't match", identity: [[allow("*"), when({ Bool: { "aws:SecureTransport": false } }, deny("*"))]], expect: "Allow" },
  { name: "IpAddress aws:SourceIp inside the range", identity: [[when({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, allow(GET))]], context: { "aws:SourceIp": "203.0.113.17" }, expect: "Allow" },
  { name: "IpAddress aws:SourceIp outside the range", identity: [[when({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, allow(GET))]], context: { "aws:SourceIp": "198.51.100.1" }, expect: IMPLICIT },
  { name: "IpAddress with the key missing", identity: [[when({ IpAddress: { "aws:SourceIp": "203.0.113.0/24" } }, allow(GET))]], expect: IMPLICIT },
  { name: "Deny NotIpAddress outside the corporate ranges", identity: [[allow("*"), when({ NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] } }, deny("*"))]], context: { "aws:SourceIp": "198.51.100.1" }, expect: ID_DENY },
  { name: "Deny NotIpAddress inside the IPv6 range is allowed", identity: [[allow("*"), when({ NotIpAddress: { "aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"] } }, deny("*"))]], context: { "aws:SourceIp": "2001:db8::5" }, expect: "Allow" },
  { name: "DateLessThan aws:CurrentTime before the end", identity: [[when({ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } }, allow(GET))]], context: { "aws:CurrentTime": "2026-11-23T01:00:00Z" }, expect: "Allow" },
  { name: "DateLessThan aws:CurrentTime after the end", identity: [[when({ DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } }, allow(GET))]], context: { "aws:CurrentTime": "2027-06-01T00:00:00Z" }, expect: IMPLICIT },
  { name: "a time window (two Date operators ANDed)", identity: [[when({ DateGreaterThan: { "aws:CurrentTime": "2026-01-01T00:00:00Z" }, DateLessThan: { "aws:CurrentTime": "2026-12-31T23:59:59Z" } }, allow(GET))]], context: { "aws:CurrentTime": "2026-11-23T01:00:00Z" }, expect: "Allow" },
  { name: "DateGreaterThan with an epoch value and aws:EpochTime", identity: [[when({ DateGreaterThan: { "aws:EpochTime": 1700000000 } }, allow(GET))]], context: { "aws:EpochTime": 1800000000 }, expect: "Allow" },
  { name: "secretsmanager:ResourceTag/env StringEquals prod", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: "Allow" },
  { name: "secretsmanager:ResourceTag/env on a dev secret", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "dev" }, expect: IMPLICIT },
  { name: "secretsmanager:ResourceTag/env on an untagged secret", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], expect: IMPLICIT },
  { name: "condition key names are case-insensitive", identity: [[when({ StringEquals: { "SecretsManager:resourcetag/ENV": "prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: "Allow" },
  { name: "condition values are case-sensitive", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "Prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: IMPLICIT },
  { name: "StringEqualsIgnoreCase ignores the case of values", identity: [[when({ StringEqualsIgnoreCase: { "secretsmanager:ResourceTag/env": "Prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "PROD" }, expect: "Allow" },
  { name: "aws:PrincipalTag comes from the principal", identity: [[when({ StringEquals: { "aws:PrincipalTag/Team": "payments" } }, allow(GET))]], expect: "Allow" },
  { name: "ABAC: ResourceTag equals ${aws:PrincipalTag/team}", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/team": "payments" }, expect: "Allow" },
  { name: "ABAC: another team's secret", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/team": "search" }, expect: IMPLICIT },
  { name: "ABAC: an untagged principal matches nothing", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/team": "${aws:PrincipalTag/team}" } }, allow(GET))]], principal: CAROL, context: { "secretsmanager:ResourceTag/team": "" }, expect: IMPLICIT },
  { name: "several values of one key are ORed", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": ["dev", "prod"] } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: "Allow" },
  { name: "several keys are ANDed", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "prod", "secretsmanager:ResourceTag/team": "payments" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod", "secretsmanager:ResourceTag/team": "search" }, expect: IMPLICIT },
  { name: "several operators are ANDed", identity: [[when({ StringEquals: { "secretsmanager:ResourceTag/env": "prod" }, Bool: { "aws:SecureTransport": "true" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod", "aws:SecureTransport": false }, expect: IMPLICIT },
  { name: "secretsmanager:VersionStage restricts to AWSCURRENT", identity: [[when({ StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } }, allow(GET))]], context: { "secretsmanager:VersionStage": "AWSPREVIOUS" }, expect: IMPLICIT },
  { name: "ForAnyValue aws:TagKeys: one allowed key is enough", identity: [[when({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:CreateSecret"))]], action: "secretsmanager:CreateSecret", context: { "aws:TagKeys": ["env", "other"] }, expect: "Allow" },
  { name: "ForAnyValue aws:TagKeys: no allowed key", identity: [[when({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:CreateSecret"))]], action: "secretsmanager:CreateSecret", context: { "aws:TagKeys": ["other"] }, expect: "no identity-based policy" },
  { name: "ForAnyValue aws:TagKeys: no tags at all", identity: [[when({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:CreateSecret"))]], action: "secretsmanager:CreateSecret", expect: "no identity-based policy" },
  { name: "ForAllValues aws:TagKeys: a subset is allowed", identity: [[when({ "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:TagResource"))]], action: "secretsmanager:TagResource", context: { "aws:TagKeys": ["env"] }, expect: "Allow" },
  { name: "ForAllValues aws:TagKeys: an extra key is not", identity: [[when({ "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:TagResource"))]], action: "secretsmanager:TagResource", context: { "aws:TagKeys": ["env", "owner"] }, expect: "no identity-based policy" },
  { name: "ForAllValues aws:TagKeys: a missing key passes", identity: [[when({ "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:TagResource"))]], action: "secretsmanager:TagResource", expect: "Allow" },
  { name: "ForAllValues aws:TagKeys: an empty list passes", identity: [[when({ "ForAllValues:StringEquals": { "aws:TagKeys": ["env", "team"] } }, allow("secretsmanager:TagResource"))]], action: "secretsmanager:TagResource", context: { "aws:TagKeys": [] }, expect: "Allow" },
  { name: "Deny ForAnyValue:StringLike aws:TagKeys on reserved keys", identity: [[allow("*"), when({ "ForAnyValue:StringLike": { "aws:TagKeys": "aws:*" } }, deny("secretsmanager:TagResource"))]], action: "secretsmanager:TagResource", context: { "aws:TagKeys": ["env", "aws:owner"] }, expect: ID_DENY },
  { name: "StringEqualsIfExists with the key missing", identity: [[when({ StringEqualsIfExists: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], expect: "Allow" },
  { name: "StringEqualsIfExists with another value", identity: [[when({ StringEqualsIfExists: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "dev" }, expect: IMPLICIT },
  { name: "StringEqualsIfExists with the value", identity: [[when({ StringEqualsIfExists: { "secretsmanager:ResourceTag/env": "prod" } }, allow(GET))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: "Allow" },
  { name: "Deny Null true: an untagged secret is denied", identity: [[allow("*"), when({ Null: { "secretsmanager:ResourceTag/owner": "true" } }, deny("*"))]], expect: ID_DENY },
  { name: "Deny Null true: a tagged secret is allowed", identity: [[allow("*"), when({ Null: { "secretsmanager:ResourceTag/owner": "true" } }, deny("*"))]], context: { "secretsmanager:ResourceTag/owner": "alice" }, expect: "Allow" },
  { name: "StringNotEquals on a missing key is true (Deny applies)", identity: [[allow("*"), when({ StringNotEquals: { "secretsmanager:ResourceTag/env": "prod" } }, deny("*"))]], expect: ID_DENY },
  { name: "StringNotEquals with the excluded value (Deny doesn't apply)", identity: [[allow("*"), when({ StringNotEquals: { "secretsmanager:ResourceTag/env": "prod" } }, deny("*"))]], context: { "secretsmanager:ResourceTag/env": "prod" }, expect: "Allow" },
  { name: "StringNotEquals with another value (Deny applies)", identity: [[allow("*"), when({ StringNotEquals: { "secretsmanager:ResourceTag/env": "prod" } }, deny("*"))]], context: { "secretsmanager:ResourceTag/env": "dev" }, expect: ID_DENY },
  // Cross-account (AWS "cross-account policy evaluation logic")
  { name: "cross-account: identity policy only is denied", principal: BOB, identity: [[allow(GET, SECRET)]], expect: NO_RESOURCE },
  { name: "cross-account: resource policy only is denied", principal: BOB, resource: [grant({ AWS: BOB.arn })], expect: IMPLICIT },
  { name: "cross-account: both allow", principal: BOB, identity: [[allow(GET, SECRET)]], resource: [grant({ AWS: BOB.arn })], expect: "Allow" },
  { name: "cross-account: resource policy naming the account root", principal: BOB, identity: [[allow(GET)]], resource: [grant({ AWS: `arn:aws:iam::${OTHER}:root` })], expect: "Allow" },
  { name: "cross-account: resource policy naming the account id", principal: BOB, identity: [[allow(GET)]], resource: [grant({ AWS: OTHER })], expect: "Allow" },
  { name: "cross-account: resource policy naming a third account", principal: BOB, identity: [[allow(GET)]], resource: [grant({ AWS: "999988887777" })], expect: NO_RESOURCE },
  { name: "cross-account: resource policy with Principal *", principal: BOB, identity: [[allow(GET)]], resource: [grant("*")], expect: "Allow" },
  { name: "cross-account: a resource Deny wins over both allows", principal: BOB, identity: [[allow(GET)]], resource: [grant({ AWS: OTHER }), refuse({ AWS: BOB.arn })], expect: RES_DENY },
  { name: "cross-account: the other account's root needs only the resource policy", principal: BOB_ROOT, resource: [grant({ AWS: OTHER })], expect: "Allow" },
  { name: "cross-account: an allowed action but another action", principal: BOB, identity: [[allow("*")]], resource: [grant({ AWS: OTHER })], action: "secretsmanager:DeleteSecret", expect: "no resource-based policy allows the secretsmanager:DeleteSecret action" },
  // Resource policy principals, same account
  { name: "same account: a resource policy naming the user allows alone", resource: [grant({ AWS: ALICE.arn })], expect: "Allow" },
  { name: "same account: Principal * allows alone", resource: [grant("*")], expect: "Allow" },
  { name: "same account: {AWS: *} allows alone", resource: [grant({ AWS: "*" })], expect: "Allow" },
  { name: "same account: the account root only delegates to identity policies", resource: [grant({ AWS: `arn:aws:iam::${ACCT}:root` })], expect: IMPLICIT },
  { name: "same account: account root plus an identity Allow", identity: [[allow(GET)]], resource: [grant({ AWS: ACCT })], expect: "Allow" },
  { name: "same account: a policy naming someone else", resource: [grant({ AWS: CAROL.arn })], expect: IMPLICIT },
  { name: "same account: a principal list", resource: [grant({ AWS: [CAROL.arn, ALICE.arn] })], expect: "Allow" },
  { name: "same account: a Service principal matches no user", resource: [grant({ Service: "lambda.amazonaws.com" })], expect: IMPLICIT },
  { name: "the root user of the account is allowed without policies", principal: ROOT, expect: "Allow" },
  { name: "the root user is matched by the account principal of a Deny", principal: ROOT, resource: [refuse({ AWS: ACCT })], expect: RES_DENY },
  { name: "a Deny naming the account covers its users", identity: [[allow("*")]], resource: [refuse({ AWS: ACCT })], expect: RES_DENY },
  { name: "a resource-policy statement for another action", resource: [grant({ AWS: ALICE.arn }, "secretsmanager:DescribeSecret")], expect: IMPLICIT },
  { name: "a resource-policy statement for another secret", resource: [{ Effect: "Allow", Principal: { AWS: ALICE.arn }, Action: GET, Resource: ARN("/dev/*") }], expect: IMPLICIT },
  // NotPrincipal
  { name: "Deny NotPrincipal: the listed user is not denied", identity: [[allow("*")]], resource: [{ Effect: "Deny", NotPrincipal: { AWS: [ALICE.arn, `arn:aws:iam::${ACCT}:root`] }, Action: "*", Resource: "*" }], expect: "Allow" },
  { name: "Deny NotPrincipal: another user of the account is", principal: CAROL, identity: [[allow("*")]], resource: [{ Effect: "Deny", NotPrincipal: { AWS: [ALICE.arn] }, Action: "*", Resource: "*" }], expect: RES_DENY },
  { name: "Deny NotPrincipal account: other accounts are denied", principal: BOB, identity: [[allow("*")]], resource: [grant({ AWS: OTHER }), { Effect: "Deny", NotPrincipal: { AWS: ACCT }, Action: "*", Resource: "*" }], expect: RES_DENY },
  { name: "Deny NotPrincipal account: the account's users are not", identity: [[allow("*")]], resource: [{ Effect: "Deny", NotPrincipal: { AWS: ACCT }, Action: "*", Resource: "*" }], expect: "Allow" },
  { name: "Allow NotPrincipal grants everyone else", resource: [{ Effect: "Allow", NotPrincipal: { AWS: CAROL.arn }, Action: GET, Resource: "*" }], expect: "Allow" },
  { name: "Allow NotPrincipal doesn't grant the excluded user", principal: CAROL, resource: [{ Effect: "Allow", NotPrincipal: { AWS: CAROL.arn }, Action: GET, Resource: "*" }], expect: IMPLICIT },
  { name: "resource Deny unless aws:PrincipalAccount is ours", principal: BOB, identity: [[allow("*")]], resource: [grant("*"), when({ StringNotEquals: { "aws:PrincipalAccount": ACCT } }, refuse("*", "*"))], expect: RES_DENY },
  { name: "resource Deny unless aws:PrincipalAccount is ours: our user", identity: [[allow("*")]], resource: [grant("*"), when({ StringNotEquals: { "aws:PrincipalAccount": ACCT } }, refuse("*", "*"))], expect: "Allow" },
  { name: "a resource Allow with a failing condition grants nothing", resource: [when({ Bool: { "aws:SecureTransport": "true" } }, grant({ AWS: ALICE.arn }))], context: { "aws:SecureTransport": false }, expect: IMPLICIT },
];

for (const c of cases) {
  test(`evaluate: ${c.name}`, () => {
    const version = c.version ?? "2012-10-17";
    const identity = (c.identity ?? []).map((s) => compilePolicy(JSON.stringify({ Version: version, Statement: s }), "identity"));
    const resource = c.resource ? compilePolicy(JSON.stringify({ Version: version, Statement: c.resource }), "resource") : undefined;
    const arn = c.arn ?? SECRET;
    const d = evaluate({ action: c.action ?? GET, resource: arn, principal: c.principal ?? ALICE, resourceAccount: arn === "*" ? undefined : arn.split(":")[4], context: contextFromRecord(c.context ?? {}) }, identity, resource);
    if (c.expect === "Allow") assert.deepEqual(d, { effect: "Allow" });
    else {
      assert.equal(d.effect, "Deny");
      assert.ok(d.effect === "Deny" && d.reason.includes(c.expect), `reason ${d.effect === "Deny" ? d.reason : ""} should include ${c.expect}`);
    }
  });
}

test("evaluate: context is called only for conditions of statements that match the request", () => {
  const seen: string[] = [];
  const p = compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [
    when({ StringEquals: { "aws:SourceVpc": "vpc-1" } }, allow("secretsmanager:DeleteSecret")),
    allow(GET),
    when({ Bool: { "aws:SecureTransport": "true" } }, allow(GET)),
    when({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, deny("secretsmanager:DescribeSecret")),
  ] }), "identity");
  const d = evaluate({ action: GET, resource: SECRET, principal: ALICE, resourceAccount: ACCT, context: (k) => { seen.push(k); return undefined; } }, [p]);
  assert.deepEqual(d, { effect: "Allow" });
  assert.deepEqual(seen, [], "the unconditional Allow made the conditional one moot; the others are for other actions");
});

test("evaluate: a Deny's condition is evaluated even after an Allow", () => {
  const seen: string[] = [];
  const p = compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [allow("*"), when({ Bool: { "aws:SecureTransport": "false" } }, deny("*"))] }), "identity");
  evaluate({ action: GET, resource: SECRET, principal: ALICE, resourceAccount: ACCT, context: (k) => { seen.push(k); return true; } }, [p]);
  assert.deepEqual(seen, ["aws:SecureTransport"]);
});
