import { ServiceError, messages } from "@keyshift/protocol";

const NAME = /^[A-Za-z0-9/_+=.@-]+$/;

/** Secret names: ASCII letters, digits and /_+=.@- (length is checked by the model). */
export function assertValidName(name: string): void {
  if (!NAME.test(name)) throw new ServiceError("ValidationException", messages.invalidName);
}

/** A SecretId is a name, a full ARN or a partial ARN; only a name has character rules. */
export function assertValidSecretId(id: string): void {
  if (!id.startsWith("arn:")) assertValidName(id);
}
