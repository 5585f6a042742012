/** The authenticated caller of a request. */
export interface Principal {
  accountId: string;
  /** e.g. arn:aws:iam::123456789012:user/admin */
  arn: string;
  userName: string;
  accessKeyId: string;
}

export function userArn(accountId: string, userName: string): string {
  return `arn:aws:iam::${accountId}:user/${userName}`;
}
