/**
 * The password literal of ALTER ROLE / CREATE ROLE ... PASSWORD. Like psql's \password, the
 * password is hashed on our side when the server would hash it anyway (password_encryption
 * scram-sha-256 or md5), so the cleartext never reaches the server, its statement log or
 * pg_stat_activity. PostgreSQL stores a literal that is already a SCRAM or MD5 hash as it is.
 */
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";

export type PasswordMethod = "scram-sha-256" | "md5" | "plain";

/** The method for a password under the server's password_encryption setting. */
export function passwordMethod(passwordEncryption: string | undefined, password: string): PasswordMethod {
  // Printable ASCII only: SASLprep (which the server applies to other passwords) leaves it unchanged.
  if (!/^[\x20-\x7e]*$/.test(password)) return "plain";
  if (passwordEncryption === "scram-sha-256") return "scram-sha-256";
  if (passwordEncryption === "md5" || passwordEncryption === "on") return "md5";
  return "plain";
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores (RFC 5802/7677, 4096 iterations, 16-byte salt).
 * The key stretching runs on libuv's thread pool, not on the event loop that serves requests.
 */
export async function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): Promise<string> {
  const salted = await pbkdf2Async(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

export function md5Hash(password: string, role: string): string {
  return "md5" + createHash("md5").update(password + role, "utf8").digest("hex");
}

/** The escaped literal for `password` of `role` under `method`. */
export async function passwordLiteral(role: string, password: string, method: PasswordMethod): Promise<string> {
  const value = method === "scram-sha-256" ? await scramVerifier(password) : method === "md5" ? md5Hash(password, role) : password;
  return pg.escapeLiteral(value);
}

/** ALTER ROLE "role" WITH PASSWORD '...'. */
export async function alterRolePasswordSql(role: string, password: string, method: PasswordMethod): Promise<string> {
  return `ALTER ROLE ${pg.escapeIdentifier(role)} WITH PASSWORD ${await passwordLiteral(role, password, method)}`;
}

/** CREATE ROLE "role" WITH LOGIN PASSWORD '...'. */
export async function createRoleSql(role: string, password: string, method: PasswordMethod): Promise<string> {
  return `CREATE ROLE ${pg.escapeIdentifier(role)} WITH LOGIN PASSWORD ${await passwordLiteral(role, password, method)}`;
}
