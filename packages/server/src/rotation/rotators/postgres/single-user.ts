import type { Rotator } from "../../rotator.js";
import { singleUserRotator } from "../database/flows.js";
import { postgresDriver } from "./driver.js";

/**
 * PostgreSQL, single user (AWS template SecretsManagerRDSPostgreSQLRotationSingleUser): the
 * secret's login changes its own password. The old password stops working at setSecret;
 * restoreCurrent puts it back after a failed rotation.
 */
export const postgresSingleUser: Rotator = singleUserRotator(
  postgresDriver,
  "keyshift-postgres-single-user",
  "PostgreSQL: the secret's user changes its own password (ALTER ROLE ... WITH PASSWORD)",
);
