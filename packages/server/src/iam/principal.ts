/** The authenticated caller of a request, with what authorization needs to know about it. */
export interface Principal {
  accountId: string;
  /** e.g. arn:aws:iam::123456789012:user/admin */
  arn: string;
  userName: string;
  accessKeyId: string;
  /** Administrator of its account: allowed everything in it (explicit denies still apply). */
  admin: boolean;
  /** Administrator of the operator (first) account: may also manage accounts and their users (iam: actions), never read their secrets. */
  operator: boolean;
  /** aws:PrincipalTag/* */
  tags: Readonly<Record<string, string>>;
  /** The user's identity policies (JSON documents). */
  policies: readonly string[];
}

/** A principal of Keyshift itself acting for an account (the rotation engine): its account's administrator. */
export function systemPrincipal(accountId: string, userName: string): Principal {
  return { accountId, userName, arn: userArn(accountId, userName), accessKeyId: "", admin: true, operator: false, tags: {}, policies: [] };
}

export function userArn(accountId: string, userName: string): string {
  return `arn:aws:iam::${accountId}:user/${userName}`;
}
