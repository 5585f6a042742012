/**
 * Events the management API emits through `secretRoutes({ onEvent })` / `managementRoutes({ onEvent })`,
 * after the fact. Metadata only: never a secret value. The notifications feature subscribes here.
 */
export interface EmergencyRotationEvent {
  type: "EmergencyRotation";
  /** ms since the epoch. */
  time: number;
  accountId: string;
  region: string;
  secretArn: string;
  secretName: string;
  /** Who asked for it. */
  principalArn: string;
  /** The new AWSCURRENT version. */
  versionId: string;
  /** The version that was AWSCURRENT before (now under no staging label). */
  previousVersionId?: string;
  rotationIds: string[];
  /** false when the caller supplied the new value. */
  generated: boolean;
  /** How the old credential was revoked (docs/management-api.md). */
  revocation: "value-withdrawn" | "password-changed" | "both-users-changed" | "rotation-function";
  reason?: string;
  criticality?: string;
}

export type ManagementEvent = EmergencyRotationEvent;
