/** A raw TCP client for HTTP tests that need to send what `fetch` never would. */
import { connect } from "node:net";
import type { Socket } from "node:net";

export interface RawExchange {
  readonly socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  readonly response: Promise<string>;
}

/** Opens a connection to 127.0.0.1:port, writes `data`, and collects the answer until the server closes. */
export function rawExchange(port: number, data: string | Buffer): RawExchange {
  const socket = connect(port, "127.0.0.1");
  const chunks: Buffer[] = [];
  const response = new Promise<string>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
  socket.write(data);
  return { socket, response };
}

/** The status code, headers (lower-cased names) and body of one raw HTTP/1.1 response. */
export function parseResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, end === -1 ? text.length : end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine?.split(" ")[1]), headers, body: end === -1 ? "" : text.slice(end + 4) };
}
