import type { Step } from "./rotator.js";

export type RotationMethod = "automatic" | "manual" | "emergency" | "test";
export type RotationStatus = "running" | "succeeded" | "failed" | "cancelled";

/** One step of a rotation as the journal records it. */
export interface StepRecord {
  step: Step | "restoreCurrent";
  startedAt: number;
  endedAt?: number;
  outcome?: "succeeded" | "failed";
}

/**
 * A rotation attempt: its journal while it runs (which step, whether the step's outcome is
 * known) and its history entry afterwards. Never holds a secret value; `error` is redacted.
 */
export interface RotationRecord {
  id: string;
  secretUid: string;
  accountId: string;
  region: string;
  secretArn: string;
  secretName: string;
  /** The version being created (AWSPENDING; the event's ClientRequestToken). */
  token: string;
  /** AWSCURRENT when the rotation started. */
  fromVersion?: string;
  rotatorArn: string;
  rotationToken: string;
  options: Record<string, string>;
  method: RotationMethod;
  status: RotationStatus;
  /** Steps this rotation runs (a RotateImmediately=false test runs testSecret only). */
  plan: Step[];
  /** The journal: one entry per step started; the last one without `endedAt` is in flight. */
  steps: StepRecord[];
  startedAt: number;
  endedAt?: number;
  error?: string;
  /** Consecutive attempt number for this secret (1 for the first try after a success). */
  attempt: number;
  cancelRequested?: boolean;
  leaseOwner?: string;
  leaseUntil?: number;
  revision: number;
}

/** An HTTP rotation function registered by a user: the engine POSTs the AWS rotation event to `url`. */
export interface RotatorRegistration {
  accountId: string;
  name: string;
  url: string;
  createdAt: number;
}
