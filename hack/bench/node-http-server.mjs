// The alternative to faas-js-runtime the bench measures (not used by the functions): node:http
// alone, answering every request as the stock runtime's do-nothing handler does.
import { createServer } from "node:http";

createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
}).listen(Number(process.env.FUNC_PORT), "127.0.0.1");
