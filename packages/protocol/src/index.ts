export * from "./errors.js";
export * from "./arn.js";
export * from "./time.js";
export * from "./json-body.js";
export * from "./validate.js";
export type { Shape, ShapeTable, OperationTable } from "./model-types.js";
export { metadata, operations, shapes } from "./model.generated.js";
export type * from "./model.generated.js";

/** The 23 operations of the service, as they appear after `secretsmanager.` in X-Amz-Target. */
export type OperationName = keyof typeof import("./model.generated.js").operations;
export * from "./sign-request.js";
export * from "./sse.js";
export * from "./credentials.js";
export type { ChangeEvent } from "./change-event.js";
