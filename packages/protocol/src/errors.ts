/**
 * The one error table: every error Keyshift puts on the wire is a `ServiceError` whose code is
 * a key of `errorCodes`, which gives its HTTP status and whether it is a server fault.
 * Codes and HTTP statuses are the ones AWS Secrets Manager (JSON 1.1) answers with.
 */
export const errorCodes = {
  // Modeled Secrets Manager errors.
  ResourceNotFoundException: 400,
  InvalidParameterException: 400,
  InvalidRequestException: 400,
  ResourceExistsException: 400,
  LimitExceededException: 400,
  MalformedPolicyDocumentException: 400,
  PublicPolicyException: 400,
  PreconditionNotMetException: 400,
  EncryptionFailure: 400,
  DecryptionFailure: 400,
  InvalidNextTokenException: 400,
  InternalServiceError: 500,
  // Generic errors of every AWS JSON service.
  AccessDeniedException: 400,
  ValidationException: 400,
  SerializationException: 400,
  UnknownOperationException: 400,
  ThrottlingException: 400,
  UnrecognizedClientException: 400,
  InvalidSignatureException: 400,
  IncompleteSignatureException: 400,
  MissingAuthenticationTokenException: 400,
  ExpiredTokenException: 400,
  RequestEntityTooLargeException: 413,
  MethodNotAllowedException: 405,
  ServiceUnavailableException: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** An error answered to the caller as `{"__type": code, "Message": message}`. The message must never contain a secret value. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = errorCodes[code];
  }
  toJSON(): { __type: ErrorCode; Message: string } {
    return { __type: this.code, Message: this.message };
  }
}

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/** Messages AWS answers verbatim (ground truth in shared/reference/aws-ground-truth). */
export const messages = {
  secretNotFound: "Secrets Manager can't find the specified secret.",
  stageNotFound: (stage: string) => `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
  versionNotFound: (versionId: string) => `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
  secretExists: (name: string) => `The operation failed because the secret ${name} already exists.`,
  scheduledForDeletion: "You can't create this secret because a secret with this name is already scheduled for deletion.",
  stageVersionMismatch: "You provided a VersionStage that is not associated to the provided VersionId.",
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  getOnDeleted: "You tried to perform the operation on a secret that's currently marked deleted.",
  missingToken: "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
  invalidName: "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
  noLambda: "No Lambda rotation function ARN is associated with this secret.",
  cannotInvokeLambda:
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.",
  rotationInProgress: "A previous rotation isn't complete. That rotation will be reattempted.",
  replicaWrite: "Operation not permitted on a replica secret. Call must be made in primary secret's region.",
} as const;
