import { parseArn } from "@keyshift/protocol";
import type { Store } from "../storage/store.js";
import type { Rotator } from "./rotator.js";
import { httpRotator } from "./rotators/http/http-rotator.js";
import { mysqlAlternatingUsers } from "./rotators/mysql/alternating-users.js";
import { mysqlSingleUser } from "./rotators/mysql/single-user.js";
import { postgresAlternatingUsers } from "./rotators/postgres/alternating-users.js";
import { postgresSingleUser } from "./rotators/postgres/single-user.js";
import { randomPasswordRotator } from "./rotators/random-password/random-password.js";

/** The built-in rotators, addressed as Lambda functions of these names in any account and region. Adding one is one line. */
export const builtinRotators: readonly Rotator[] = [randomPasswordRotator, postgresSingleUser, postgresAlternatingUsers, mysqlSingleUser, mysqlAlternatingUsers];

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The function name of `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`, and its account. */
export function parseFunctionArn(arn: string): { account: string; name: string } | undefined {
  const a = parseArn(arn);
  if (!a || a.service !== "lambda" || !/^\d{12}$/.test(a.account)) return undefined;
  const [kind, name] = a.resource.split(":");
  if (kind !== "function" || name === undefined || !FUNCTION_NAME.test(name)) return undefined;
  return { account: a.account, name };
}

export function functionArn(region: string, account: string, name: string): string {
  return `arn:aws:lambda:${region}:${account}:function:${name}`;
}

/**
 * Resolves a RotationLambdaARN to a rotator: a built-in by name, or an HTTP rotation function
 * registered in the ARN's account (`keyshift rotators register`). Unknown → undefined, which the
 * API answers as AWS answers a function it cannot invoke.
 */
export class RotatorRegistry {
  private readonly builtins: ReadonlyMap<string, Rotator>;

  constructor(
    private readonly store: Store,
    builtins: readonly Rotator[] = builtinRotators,
  ) {
    this.builtins = new Map(builtins.map((r) => [r.name, r]));
  }

  async resolve(arn: string, accountId: string): Promise<Rotator | undefined> {
    const f = parseFunctionArn(arn);
    if (!f) return undefined;
    const builtin = this.builtins.get(f.name);
    if (builtin) return builtin;
    // A user's function must be registered in the secret's own account.
    if (f.account !== accountId) return undefined;
    const reg = await this.store.getRotator(accountId, f.name);
    return reg && httpRotator(reg);
  }

  isBuiltin(name: string): boolean {
    return this.builtins.has(name);
  }

  list(): Rotator[] {
    return [...this.builtins.values()];
  }
}
