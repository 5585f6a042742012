/** Every notification type, in the order the docs list them. */
export const NOTIFICATION_TYPES = ["RotationSucceeded", "RotationFailed", "RotationOverdue", "SecretDeleted", "EmergencyRotation", "AccessDeniedBurst"] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * What happened, as a component reports it to `Notifier.emit`. Metadata only: names, ARNs,
 * version ids, principals, counts — never a secret value (a notification body leaves the server).
 */
export interface NotificationEvent {
  type: NotificationType;
  /** The account the event belongs to: webhooks registered by an account get its events only; config-file webhooks get every event. */
  accountId?: string;
  secretArn?: string;
  secretName?: string;
  versionId?: string;
  /** Who caused it (DeleteSecret, EmergencyRotation) or who was denied (AccessDeniedBurst). */
  principalArn?: string;
  /** More metadata: rotation id, method, attempt, redacted error, counts. */
  detail?: Readonly<Record<string, string | number | boolean>>;
  /** Epoch ms; the notifier's clock when absent. */
  time?: number;
}

/** The JSON body of a `webhook` delivery: the event, with an id and an ISO-8601 time. */
export type NotificationBody = Omit<NotificationEvent, "time"> & {
  /** Unique per event: a receiver deduplicates retries with it. */
  id: string;
  /** ISO-8601. */
  time: string;
};

/** The one-line text of a Slack-compatible delivery. */
export function slackText(b: NotificationBody): string {
  const what = b.secretName ? ` secret \`${b.secretName}\`` : b.principalArn ? ` principal \`${b.principalArn}\`` : "";
  const extra = Object.entries(b.detail ?? {}).map(([k, v]) => `${k}: ${String(v)}`).join(", ");
  return `[Keyshift] ${b.type}${what}${b.accountId ? ` (account ${b.accountId})` : ""}${extra ? ` — ${extra}` : ""}`;
}
