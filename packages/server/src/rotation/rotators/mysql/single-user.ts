import type { Rotator } from "../../rotator.js";
import { singleUserRotator } from "../database/flows.js";
import { mysqlDriver } from "./driver.js";

/**
 * MySQL / MariaDB, single user (AWS template SecretsManagerRDSMySQLRotationSingleUser): the
 * secret's login changes its own password (SET PASSWORD). The old password stops working at
 * setSecret; restoreCurrent puts it back after a failed rotation.
 */
export const mysqlSingleUser: Rotator = singleUserRotator(
  mysqlDriver,
  "keyshift-mysql-single-user",
  "MySQL / MariaDB: the secret's user changes its own password (SET PASSWORD)",
);
