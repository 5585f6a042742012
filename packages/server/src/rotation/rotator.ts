import type {
  DescribeSecretResponse, GetRandomPasswordRequest, GetSecretValueRequest, GetSecretValueResponse, PutSecretValueRequest,
  PutSecretValueResponse, UpdateSecretVersionStageRequest,
} from "@keyshift/protocol";

/** The four steps of an AWS rotation, in order. */
export const STEPS = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;
export type Step = (typeof STEPS)[number];

/**
 * The Secrets Manager API as a rotator sees it: the calls an AWS rotation function makes,
 * answered by the server itself (in process) with the secret's own account. Errors are the
 * API's ServiceErrors. Every value returned or sent through it is remembered, so that it can be
 * redacted from anything the rotator throws.
 */
export interface SecretsClient {
  getSecretValue(req: GetSecretValueRequest): Promise<GetSecretValueResponse>;
  putSecretValue(req: PutSecretValueRequest): Promise<PutSecretValueResponse>;
  describeSecret(req: { SecretId: string }): Promise<DescribeSecretResponse>;
  updateSecretVersionStage(req: UpdateSecretVersionStageRequest): Promise<void>;
  getRandomPassword(req: GetRandomPasswordRequest): Promise<string>;
}

/** One step of one rotation, as the engine hands it to a rotator. */
export interface StepRequest {
  step: Step;
  /** ARN of the secret being rotated (the event's SecretId). */
  secretArn: string;
  /** The version being created: the event's ClientRequestToken, labeled AWSPENDING. */
  token: string;
  /** The event's RotationToken: passed back in PutSecretValue.RotationToken by HTTP rotators. */
  rotationToken: string;
  /** Per-secret rotator options (RotateSecret's ExternalSecretRotationMetadata as key → value). */
  options: Readonly<Record<string, string>>;
  client: SecretsClient;
  /** Aborted when the step times out or the rotation is cancelled. */
  signal: AbortSignal;
}

/**
 * A rotation function: the plugin kind behind a RotationLambdaARN. Contract, as for AWS rotation
 * functions: each step is idempotent (the engine re-runs a step whose outcome it did not record,
 * after a crash or a timeout) and throws to fail.
 * - createSecret: make sure the AWSPENDING version (`token`) has a value; keep an existing one.
 * - setSecret: make the target system accept the AWSPENDING credential (it may already).
 * - testSecret: prove the AWSPENDING credential works against the target system.
 * - finishSecret: move AWSCURRENT to `token` (done if it is there already).
 * - restoreCurrent (optional): after a failed or cancelled rotation, make the target system
 *   accept the AWSCURRENT credential again (undo setSecret). Rotators without it rely on
 *   setSecret never invalidating AWSCURRENT (alternating users) or on nothing external.
 */
export interface Rotator {
  readonly name: string;
  readonly description: string;
  createSecret(req: StepRequest): Promise<void>;
  setSecret(req: StepRequest): Promise<void>;
  testSecret(req: StepRequest): Promise<void>;
  finishSecret(req: StepRequest): Promise<void>;
  restoreCurrent?(req: StepRequest): Promise<void>;
}

/** Thrown by rotators for a failure that is the target's or the secret's, not a bug: the message is recorded (redacted). */
export class RotationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RotationError";
  }
}
