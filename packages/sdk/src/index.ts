// The public API of @keyshift/sdk. Everything else in src/ is internal.
export { KeyshiftClient, SDK_VERSION, type GetOptions } from "./keyshift-client.js";
export type { KeyshiftClientOptions } from "./client-options.js";
export type { SecretValue } from "./secret-value.js";
export { SecretsError, CircuitOpenError, isSecretsError, type ClientErrorCode } from "./errors.js";
export { credentialsFromEnvironment, type CredentialsOption } from "./credentials.js";
export type { SigningCredentials } from "@keyshift/protocol";
export type { ChangeEvent } from "./change-feed.js";
export * from "./rotation-aware.js";
export * from "./pools/index.js";
