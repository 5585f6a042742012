/**
 * Test support: a loopback HTTP server that captures requests exactly as node receives them and
 * hands back the `SignedRequest` the verifier would get. Not used by the server.
 */
import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { SignedRequest } from "./verify.js";

/** Headers in order, repeated names allowed, as they are put on the wire. */
export type HeaderList = [name: string, value: string][];

/** An access key pair, with the session token of temporary credentials. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const REPLY = JSON.stringify({
  ARN: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf",
  Name: "db",
  SecretString: "x",
  VersionId: "v1",
  VersionStages: ["AWSCURRENT"],
  CreatedDate: 1.7e9,
});

/** A loopback HTTP server that records every request and answers with a GetSecretValue reply. */
export class CaptureServer {
  readonly #server: Server;
  readonly #byClientPort = new Map<number, SignedRequest>();
  last: SignedRequest | undefined;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<CaptureServer> {
    const server = createServer();
    const capture = new CaptureServer(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const captured: SignedRequest = {
          method: req.method ?? "",
          url: req.url ?? "",
          rawHeaders: req.rawHeaders,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        capture.last = captured;
        capture.#byClientPort.set(req.socket.remotePort ?? 0, captured);
        res.setHeader("content-type", "application/x-amz-json-1.1");
        res.end(REPLY);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return capture;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Sends the request as raw HTTP/1.1 bytes (adding an unsigned Content-Length when absent) and returns what node received. */
  async send(method: string, target: string, headers: HeaderList, body: string | Buffer = ""): Promise<SignedRequest> {
    const bytes = Buffer.from(body);
    const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([n, v]) => `${n}: ${v}`)];
    if (!headers.some(([n]) => n.toLowerCase() === "content-length")) lines.push(`Content-Length: ${bytes.length}`);
    const wire = Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), bytes]);
    const socket = connect(this.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.once("data", () => resolve()); // the reply is sent only after the request was captured
      socket.write(wire);
    });
    const captured = this.#byClientPort.get(socket.localPort ?? -1);
    socket.destroy();
    if (captured === undefined) throw new Error(`capture server got no request for ${method} ${target}`);
    return captured;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
