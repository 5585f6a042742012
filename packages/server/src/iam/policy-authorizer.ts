import { ServiceError, parseArn } from "@keyshift/protocol";
import { type AuthzRequest, type Authorizer } from "./authorizer.js";
import { compilePolicy, evaluate, type CompiledPolicy, type Decision, type PrincipalInfo } from "./policy/index.js";
import type { Principal } from "./principal.js";

/** What an administrator's identity allows: everything in its account (AWS's AdministratorAccess). */
const ADMIN_POLICY = compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }), "identity");

/** Actions that only the operator (an administrator of the first account) may perform: they span accounts. */
const OPERATOR_ONLY = new Set(["iam:createaccount", "iam:listaccounts"]);

/**
 * Actions any authenticated principal may perform on its own account without a policy saying
 * so: reporting what it holds, and opening the change feed (whose events are then filtered by
 * what the principal may read, see `canSee`). An explicit Deny still applies.
 */
const IMPLICIT_IN_OWN_ACCOUNT = new Set(["keyshift:reportconsumer", "keyshift:subscribechanges"]);

export interface CompiledPrincipal {
  info: PrincipalInfo;
  identity: readonly CompiledPolicy[];
}

const compiled = new WeakMap<Principal, CompiledPrincipal>();

/** The caller as the evaluator sees it, with its identity policies compiled (cached per principal object). */
export function compiledPrincipal(p: Principal): CompiledPrincipal {
  let c = compiled.get(p);
  if (!c) {
    const identity = p.policies.map((doc) => compileStored(doc, "identity")).filter((x): x is CompiledPolicy => x !== undefined);
    c = { info: { arn: p.arn, account: p.accountId, username: p.userName, tags: p.tags }, identity: p.admin ? [ADMIN_POLICY, ...identity] : identity };
    compiled.set(p, c);
  }
  return c;
}

/**
 * The policy decision point: AWS's evaluation (explicit deny, then allow, else implicit deny;
 * identity and resource policies combined in an account, both required across accounts) over
 * the caller's inline policies, its administrator flag and the secret's resource policy.
 * Compiled policies are cached per principal object (the key directory keeps principals while
 * they are unchanged) and by text, so the hot path does no parsing.
 */
export class PolicyAuthorizer implements Authorizer {
  constructor(private readonly clock: () => number = Date.now) {}

  authorize(req: AuthzRequest): void {
    const d = this.decide(req);
    if (d.effect === "Deny") throw accessDeniedFor(req, d.reason);
  }

  /** Whether `req` would be allowed (no exception, for filtering). */
  allows(req: AuthzRequest): boolean {
    return this.decide(req).effect === "Allow";
  }

  decide(req: AuthzRequest): Decision {
    const p = req.principal;
    const action = req.action.toLowerCase();
    if (action.startsWith("iam:")) {
      if (p.operator) return ALLOW;
      if (OPERATOR_ONLY.has(action)) return { effect: "Deny", reason: "because only the operator account's administrators manage accounts" };
    }
    const resourceAccount = req.resourceAccount ?? (req.resource === "*" ? undefined : parseArn(req.resource)?.account);
    const cp = compiledPrincipal(p);
    const resource = req.resourcePolicy === undefined ? undefined : compileStored(req.resourcePolicy, "resource");
    let context: ((key: string) => unknown) | undefined;
    const d = evaluate(
      {
        action: req.action,
        resource: req.resource,
        principal: cp.info,
        ...(resourceAccount !== undefined ? { resourceAccount } : {}),
        context: (key) => (context ??= this.contextOf(req))(key) as never,
      },
      cp.identity,
      resource,
    );
    if (d.effect === "Deny" && IMPLICIT_IN_OWN_ACCOUNT.has(action) && !d.reason.startsWith("with an explicit deny") && (resourceAccount ?? p.accountId) === p.accountId) return ALLOW;
    return d;
  }

  /**
   * Condition keys, looked up lazily: the principal's keys and the time directly, the request's
   * keys (`req.conditions()`, computed once) by their exact spelling first and case-insensitively
   * only when a policy spells a key differently or asks for one the request lacks.
   */
  private contextOf(req: AuthzRequest): (key: string) => unknown {
    const p = req.principal;
    let cond: Readonly<Record<string, unknown>> | undefined;
    let lower: Map<string, unknown> | undefined;
    return (key) => {
      const k = key.toLowerCase();
      switch (k) {
        case "aws:currenttime":
          return new Date(this.clock()).toISOString();
        case "aws:epochtime":
          return Math.floor(this.clock() / 1000);
        case "aws:principalarn":
          return p.arn;
        case "aws:principalaccount":
          return p.accountId;
        case "aws:principaltype":
          return "User";
        case "aws:username":
        case "aws:userid":
          return p.userName;
        case "aws:principaltagkeys":
          return Object.keys(p.tags);
      }
      if (k.startsWith("aws:principaltag/")) {
        const want = k.slice("aws:principaltag/".length);
        for (const t in p.tags) if (t.toLowerCase() === want) return p.tags[t];
        return undefined;
      }
      cond ??= req.conditions();
      const exact = cond[key];
      if (exact !== undefined) return exact;
      if (!lower) {
        lower = new Map();
        for (const c in cond) if (cond[c] !== undefined) lower.set(c.toLowerCase(), cond[c]);
      }
      return lower.get(k);
    };
  }

}

const ALLOW: Decision = { effect: "Allow" };

/** Stored policies were validated when they were written; one that no longer compiles (a stricter parser) grants nothing. */
function compileStored(doc: string, kind: "identity" | "resource"): CompiledPolicy | undefined {
  try {
    return compilePolicy(doc, kind);
  } catch {
    return undefined;
  }
}

export function accessDeniedFor(req: AuthzRequest, reason: string): ServiceError {
  return new ServiceError("AccessDeniedException", `User: ${req.principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${reason}`);
}
