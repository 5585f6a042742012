/** One version a consumer (an agent or an SDK client) holds. */
export interface Holding {
  ARN: string;
  VersionId: string;
  VersionStages?: string[];
}

/** A consumer's last report: what it holds, who it is, when it was last heard from. */
export interface ConsumerRecord {
  accountId: string;
  consumerId: string;
  name?: string;
  kind: "agent" | "sdk";
  principalArn: string;
  sourceIp: string;
  lastSeen: number;
  holdings: Holding[];
}
