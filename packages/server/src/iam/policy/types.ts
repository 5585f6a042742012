/** The caller as policy evaluation sees it. */
export interface PrincipalInfo {
  /** e.g. arn:aws:iam::111122223333:user/alice */
  arn: string;
  account: string;
  /** aws:username */
  username?: string;
  /** aws:PrincipalTag/<key> */
  tags?: Readonly<Record<string, string>>;
  /** The account's root: matched by an account principal, and allowed everything its identity policies don't deny. */
  isRoot?: boolean;
}

/** The value of a condition key in a request; an array for multivalued keys (aws:TagKeys). */
export type ContextValue = string | readonly string[] | boolean | number | undefined;

/** One authorization question. */
export interface EvalRequest {
  /** e.g. "secretsmanager:GetSecretValue" (any case) */
  action: string;
  /** A secret ARN, or "*" for actions without a resource. */
  resource: string;
  principal: PrincipalInfo;
  /** The account owning `resource`; undefined for "*" (then the request is same-account). */
  resourceAccount?: string;
  /**
   * Condition key lookup. Receives the key as the policy wrote it (names are case-insensitive:
   * the function must fold case, see `contextFromRecord`). Called lazily, only for keys that a
   * statement matching action/resource/principal needs, and for policy variables. When it
   * returns undefined, aws:username, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalTag/*
   * and aws:ResourceAccount fall back to `principal` and `resourceAccount`.
   */
  context: (key: string) => ContextValue;
}

export type Decision = { effect: "Allow" } | { effect: "Deny"; reason: string };
