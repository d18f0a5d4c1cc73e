/**
 * Forked by shutdown.test.ts with arguments `<events> <everyMs>`: a web process in miniature. Each request is a turn
 * that speaks that many text events, that far apart, through ndjsonResponse, piped to the socket as Next pipes a
 * route's Response.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { errorResponse } from "@/lib/http";
import type { TurnEvent } from "@/lib/turn/events";
import { ndjsonResponse } from "@/lib/turn/ndjson";
import { turnAdmission } from "./admission";
import { installGracefulShutdown } from "./shutdown";

const [events, everyMs] = process.argv.slice(2).map(Number) as [number, number];

async function* speak(): AsyncGenerator<TurnEvent> {
  for (let i = 0; i < events; i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    yield { type: "text", delta: `word ${i} ` };
  }
}

installGracefulShutdown();
const server = createServer(async (_req, res) => {
  let response: Response;
  try {
    const admission = turnAdmission();
    await admission.screen("local");
    response = ndjsonResponse(admission.track(await admission.admit({}), speak()));
  } catch (err) {
    response = errorResponse(err);
  }
  res.writeHead(response.status, Object.fromEntries(response.headers));
  Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>).pipe(res);
});
server.listen(0, "127.0.0.1", () => process.send?.({ port: (server.address() as AddressInfo).port }));
