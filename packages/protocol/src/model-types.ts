/** A shape of the Secrets Manager service model (constraints only; documentation stripped). */
export interface Shape {
  type: "structure" | "string" | "long" | "integer" | "boolean" | "timestamp" | "blob" | "list" | "map";
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  required?: string[];
  members?: Record<string, string>;
  member?: string;
  key?: string;
  value?: string;
  sensitive?: boolean;
  box?: boolean;
  idempotencyToken?: string;
}
export type ShapeTable = Record<string, Shape>;
export type OperationTable = Record<string, { input: string; output: string | null; errors: readonly string[] }>;
