import type { Rotator } from "../../rotator.js";
import { alternatingUsersRotator } from "../database/flows.js";
import { postgresDriver } from "./driver.js";

/**
 * PostgreSQL, alternating users (AWS template SecretsManagerRDSPostgreSQLRotationMultiUser): the
 * credential in the secret named by `masterarn` creates `<user>_clone` (CREATE ROLE ... LOGIN,
 * then GRANT <user> TO <user>_clone) and each rotation sets a new password on the login that is
 * not current, so AWSCURRENT keeps working until the next rotation.
 */
export const postgresAlternatingUsers: Rotator = alternatingUsersRotator(
  postgresDriver,
  "keyshift-postgres-alternating-users",
  "PostgreSQL: alternates between <user> and <user>_clone, created and altered with the master secret's credential",
);
