/** An ARN split into its six fields (`arn:partition:service:region:account:resource`). */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** Parses an ARN; undefined when `s` is not shaped like one. The resource keeps any further colons. */
export function parseArn(s: string): Arn | undefined {
  if (!s.startsWith("arn:")) return undefined;
  const parts = s.split(":");
  if (parts.length < 6) return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

export function formatArn(a: Arn): string {
  return `arn:${a.partition}:${a.service}:${a.region}:${a.account}:${a.resource}`;
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>`: the suffix makes a recreated name a new ARN. */
export function secretArn(region: string, account: string, name: string, suffix: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}

/** The six random characters AWS appends to a secret's name in its ARN. */
export const ARN_SUFFIX = /-([A-Za-z0-9]{6})$/;
