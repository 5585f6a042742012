/** One change of a secret, as `GET /v1/changes` publishes it (docs/change-feed.md): metadata only, never a value. */
export interface ChangeEvent {
  Seq: number;
  /** Epoch seconds. */
  Time: number;
  Type: "SecretCreated" | "SecretChanged" | "SecretDeleted";
  Account: string;
  Region: string;
  ARN: string;
  Name: string;
  /** Labeled versions after the change (absent for SecretDeleted). */
  VersionIdsToStages?: Record<string, string[]>;
}
