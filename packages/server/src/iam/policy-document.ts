import { ServiceError } from "@keyshift/protocol";

/** A statement of an IAM-style JSON policy after parsing; single values are kept as given. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Id?: string;
  Statement: Statement[];
}

const TOP = new Set(["Version", "Id", "Statement"]);
const STMT = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function malformed(msg: string): ServiceError {
  return new ServiceError("MalformedPolicyDocumentException", `This resource policy contains a syntax error: ${msg}`);
}

function stringOrList(v: unknown, where: string): void {
  const ok = typeof v === "string" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string"));
  if (!ok) throw malformed(`${where} must be a string or a non-empty array of strings.`);
}

/**
 * Parses and checks the grammar of a policy document (the AWS JSON policy language). `kind`
 * "resource" requires a Principal or NotPrincipal in every statement. Throws
 * MalformedPolicyDocumentException naming the first problem found.
 */
export function parsePolicy(text: string, kind: "resource" | "identity"): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed("the document is not valid JSON.");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw malformed("the document must be a JSON object.");
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!TOP.has(k)) throw malformed(`unknown field ${k}.`);
  if (d.Version !== undefined && d.Version !== "2012-10-17" && d.Version !== "2008-10-17") throw malformed(`Version must be "2012-10-17" or "2008-10-17".`);
  if (d.Statement === undefined) throw malformed("Statement is missing.");
  const list = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
  if (list.length === 0) throw malformed("Statement must not be empty.");
  const statements = list.map((s, i) => checkStatement(s, `Statement[${i}]`, kind));
  return { ...(d.Version !== undefined ? { Version: d.Version as string } : {}), ...(d.Id !== undefined ? { Id: String(d.Id) } : {}), Statement: statements };
}

function checkStatement(s: unknown, where: string, kind: "resource" | "identity"): Statement {
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw malformed(`${where} must be an object.`);
  const st = s as Record<string, unknown>;
  for (const k of Object.keys(st)) if (!STMT.has(k)) throw malformed(`${where} has an unknown field ${k}.`);
  if (st.Effect !== "Allow" && st.Effect !== "Deny") throw malformed(`${where}.Effect must be "Allow" or "Deny".`);
  const pair = (a: string, b: string, required: boolean) => {
    if (st[a] !== undefined && st[b] !== undefined) throw malformed(`${where} can't have both ${a} and ${b}.`);
    if (required && st[a] === undefined && st[b] === undefined) throw malformed(`${where} must have ${a} or ${b}.`);
  };
  pair("Action", "NotAction", true);
  pair("Resource", "NotResource", kind === "resource");
  pair("Principal", "NotPrincipal", kind === "resource");
  if (kind === "identity" && (st.Principal !== undefined || st.NotPrincipal !== undefined)) throw malformed(`${where}: an identity policy can't have a Principal.`);
  for (const k of ["Action", "NotAction", "Resource", "NotResource"]) if (st[k] !== undefined) stringOrList(st[k], `${where}.${k}`);
  for (const k of ["Principal", "NotPrincipal"]) {
    const p = st[k];
    if (p === undefined) continue;
    if (p === "*") continue;
    if (typeof p !== "object" || p === null || Array.isArray(p)) throw malformed(`${where}.${k} must be "*" or an object such as {"AWS": ...}.`);
    for (const [pk, pv] of Object.entries(p)) {
      if (!["AWS", "Service", "Federated", "CanonicalUser"].includes(pk)) throw malformed(`${where}.${k} has an unknown principal type ${pk}.`);
      stringOrList(pv, `${where}.${k}.${pk}`);
    }
  }
  if (st.Condition !== undefined) {
    if (typeof st.Condition !== "object" || st.Condition === null || Array.isArray(st.Condition)) throw malformed(`${where}.Condition must be an object.`);
    for (const [op, body] of Object.entries(st.Condition)) {
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw malformed(`${where}.Condition.${op} must be an object of condition keys.`);
    }
  }
  if (st.Sid !== undefined && typeof st.Sid !== "string") throw malformed(`${where}.Sid must be a string.`);
  return st as unknown as Statement;
}

function hasWildcardPrincipal(p: unknown): boolean {
  if (p === "*") return true;
  if (typeof p !== "object" || p === null) return false;
  const aws = (p as Record<string, unknown>).AWS;
  return aws === "*" || (Array.isArray(aws) && aws.includes("*"));
}

/** A policy is public when an Allow statement names every principal and no condition narrows it. */
export function isPublic(doc: PolicyDocument): boolean {
  return doc.Statement.some((s) => s.Effect === "Allow" && (hasWildcardPrincipal(s.Principal) || s.NotPrincipal !== undefined) && !s.Condition);
}
