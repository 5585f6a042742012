import { createServer } from "node:http";

/**
 * The baseline for every benchmark: a bare node:http server that answers each request with a
 * fixed body of the given size and the same headers Keyshift sends, after reading the request
 * body. Run as a child process: `node bare-server.js <port> <bodyBytes>`; prints "ready <port>".
 */
const size = Number(process.argv[3] ?? 1024);
const body = Buffer.from(JSON.stringify({ ARN: "arn", Name: "n", VersionId: "v", SecretString: "x".repeat(Math.max(0, size - 60)), VersionStages: ["AWSCURRENT"], CreatedDate: 1 }));
const server = createServer((req, res) => {
  req.on("data", () => {});
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "00000000-0000-0000-0000-000000000000", "Content-Length": String(body.length) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`ready ${typeof a === "object" && a ? a.port : 0}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
