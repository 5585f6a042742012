import type { Rotator } from "../../rotator.js";
import { alternatingUsersRotator } from "../database/flows.js";
import { mysqlDriver } from "./driver.js";

/**
 * MySQL / MariaDB, alternating users (AWS template SecretsManagerRDSMySQLRotationMultiUser): the
 * credential in the secret named by `masterarn` creates `<user>_clone` with the grants and TLS
 * requirements of `<user>` (replayed from SHOW GRANTS on every rotation) and each rotation sets
 * a new password on the login that is not current, so AWSCURRENT keeps working.
 */
export const mysqlAlternatingUsers: Rotator = alternatingUsersRotator(
  mysqlDriver,
  "keyshift-mysql-alternating-users",
  "MySQL / MariaDB: alternates between <user> and <user>_clone, created and altered with the master secret's credential",
);
