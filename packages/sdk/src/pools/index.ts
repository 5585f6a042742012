export { CredentialPool, PoolEndedError, type CredentialChangeReason, type PoolDriver, type RotatingPoolOptions } from "./credential-pool.js";
export { parseDbCredential, type DbCredential } from "./db-credential.js";
export { createRotatingPgPool, RotatingPgPool, type PgModule, type PgPoolClient, type PgPoolLike, type PgQuery, type PgQueryResult, type RotatingPgPoolOptions } from "./pg-pool.js";
export {
  createRotatingMysqlPool, RotatingMysqlPool, type MysqlModule, type MysqlPoolConnection, type MysqlPoolLike, type MysqlResult, type RotatingMysqlPoolOptions,
} from "./mysql-pool.js";
