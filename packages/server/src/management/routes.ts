import type { ManagementRoute } from "../http/management.js";
import { secretRoutes, type SecretRouteOptions } from "./secret-routes.js";
import { tokenRoutes } from "./token-routes.js";
import type { TokenDirectory } from "./tokens.js";

export type { ManagementEvent, EmergencyRotationEvent } from "./events.js";

export interface ManagementRouteOptions extends SecretRouteOptions {
  tokens: TokenDirectory;
}

/**
 * The management API's own routes (docs/management-api.md): rotation registration, schedules,
 * rotate now, emergency rotation, due secrets, the observability view and bearer tokens.
 * `onEvent` receives EmergencyRotation events (metadata only) after they happened.
 */
export function managementRoutes(o: ManagementRouteOptions): ManagementRoute[] {
  return [...secretRoutes(o), ...tokenRoutes(o.tokens)];
}
