import type { OperationName } from "@keyshift/protocol";
import type { RequestContext, SecretsDeps } from "./context.js";
import { batchGetSecretValue } from "./ops/batch-get-secret-value.js";
import { createSecret } from "./ops/create-secret.js";
import { deleteSecret, restoreSecret } from "./ops/delete-secret.js";
import { describeSecret, listSecretVersionIds } from "./ops/describe.js";
import { getRandomPassword } from "./ops/get-random-password.js";
import { getSecretValue } from "./ops/get-secret-value.js";
import { listSecrets } from "./ops/list-secrets.js";
import { putSecretValue, updateSecret } from "./ops/put-secret-value.js";
import { removeRegionsFromReplication, replicateSecretToRegions, stopReplicationToReplica } from "./ops/replication.js";
import { deleteResourcePolicy, getResourcePolicy, putResourcePolicy, validateResourcePolicy } from "./ops/resource-policy.js";
import { cancelRotateSecret, rotateSecret } from "../rotation/api.js";
import { tagResource, untagResource } from "./ops/tags.js";
import { updateSecretVersionStage } from "./ops/update-version-stage.js";

/** An operation: validated input in, wire output out; errors are ServiceErrors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Operation = (deps: SecretsDeps, ctx: RequestContext, input: any) => Promise<object>;

/** Every Secrets Manager operation, by the name it has in X-Amz-Target. */
export const operations: Record<OperationName, Operation> = {
  BatchGetSecretValue: batchGetSecretValue,
  CancelRotateSecret: cancelRotateSecret,
  CreateSecret: createSecret,
  DeleteResourcePolicy: deleteResourcePolicy,
  DeleteSecret: deleteSecret,
  DescribeSecret: describeSecret,
  GetRandomPassword: getRandomPassword,
  GetResourcePolicy: getResourcePolicy,
  GetSecretValue: getSecretValue,
  ListSecretVersionIds: listSecretVersionIds,
  ListSecrets: listSecrets,
  PutResourcePolicy: putResourcePolicy,
  PutSecretValue: putSecretValue,
  RemoveRegionsFromReplication: removeRegionsFromReplication,
  ReplicateSecretToRegions: replicateSecretToRegions,
  RestoreSecret: restoreSecret,
  RotateSecret: rotateSecret,
  StopReplicationToReplica: stopReplicationToReplica,
  TagResource: tagResource,
  UntagResource: untagResource,
  UpdateSecret: updateSecret,
  UpdateSecretVersionStage: updateSecretVersionStage,
  ValidateResourcePolicy: validateResourcePolicy,
};
