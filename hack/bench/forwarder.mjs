// The floor of any function layer (measured by the bench, not used by the functions): node:http
// passing each request on to daprd, unparsed, over a keep-alive connection, and daprd's answer
// back. A function in front of daprd adds at least this: one more loopback hop each way.
import { Agent, createServer, request } from "node:http";

const daprd = new URL(process.env.FORWARD_TO);
const agent = new Agent({ keepAlive: true });

createServer((incoming, outgoing) => {
  // Hop-by-hop: this hop's own connection to daprd carries its own.
  const headers = { ...incoming.headers };
  delete headers.host;
  delete headers.connection;
  const forwarded = request(
    { hostname: daprd.hostname, port: daprd.port, path: incoming.url, method: incoming.method, headers, agent },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    },
  );
  forwarded.on("error", () => outgoing.writeHead(502).end());
  incoming.pipe(forwarded);
}).listen(Number(process.env.FUNC_PORT), "127.0.0.1");
