import type { IncomingMessage, ServerResponse } from "node:http";
import { isEddyError, isValidTypeName, STRING_TYPENAME } from "@eddy/sdk";
import type { Address } from "@eddy/sdk";
import type { Ingress, IngressSink } from "../ingress.js";
import { HttpListener, reply } from "../http-server.js";

export const PLAYGROUND_INGRESS_ID = "io.statefun.playground/ingress";
const VND_PREFIX = "application/vnd.";

export interface PlaygroundIngressOptions {
  readonly port: number;
  /** Default 127.0.0.1; use 0.0.0.0 to serve other hosts. */
  readonly host?: string;
  /** Largest body accepted; larger requests get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number;
}

/**
 * StateFun's playground ingress: any method on `/<namespace>/<type>/<id>`
 * sends the body to that address. The value's type comes from a
 * `Content-Type: application/vnd.<namespace>/<name>` header; any other content
 * type sends the raw body as `io.statefun.types/string`, as the playground does.
 * It answers 200 once the message is accepted. Unlike the playground (500 and a
 * failed job), malformed requests get a 4xx that says why.
 */
export class PlaygroundIngress implements Ingress {
  readonly id = PLAYGROUND_INGRESS_ID;
  readonly #options: PlaygroundIngressOptions;
  readonly #http = new HttpListener((req, res) => this.#handle(req, res));
  #sink: IngressSink | undefined;

  constructor(options: PlaygroundIngressOptions) {
    this.#options = options;
  }

  get port(): number {
    return this.#http.port;
  }

  async start(sink: IngressSink): Promise<void> {
    this.#sink = sink;
    await this.#http.start(this.#options.port, this.#options.host ?? "127.0.0.1");
  }

  async stop(): Promise<void> {
    await this.#http.stop();
  }

  describe(): string {
    return `playground ingress on http://${this.#options.host ?? "127.0.0.1"}:${this.#http.port}/<namespace>/<type>/<id>`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const target = parseTargetPath(req.url ?? "/");
    if (typeof target === "string") {
      req.resume();
      reply(res, 404, `${target}\n`);
      return;
    }
    const typename = typenameOf(req.headers["content-type"]);
    if (!isValidTypeName(typename)) {
      req.resume();
      reply(res, 415, `Content-Type names the type "${typename}", which is not "namespace/name"\n`);
      return;
    }
    const limit = this.#options.maxBodyBytes ?? 4 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      if (tooLarge) {
        reply(res, 413, `body of ${size} bytes is larger than the limit of ${limit} bytes\n`);
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const argument = { typename, value: new Uint8Array(body.buffer, body.byteOffset, body.length) };
      const sink = this.#sink!;
      const problem = sink.checkTarget(target, argument);
      if (problem !== undefined) {
        const unknownType = problem.startsWith("no function is bound");
        reply(res, unknownType ? 404 : 400, `${target.type}/${target.id}: ${problem}\n`);
        return;
      }
      sink.accept([{ target, argument }]).then(
        () => reply(res, 200),
        (error: unknown) => {
          if (isEddyError(error, "EDDY_SHUTTING_DOWN")) reply(res, 503, "the runtime is shutting down; retry later\n");
          else reply(res, 500, `${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
    });
  }
}

/** The target address of a request path, or why the path is not one. */
export function parseTargetPath(url: string): Address | string {
  const path = url.split("?", 1)[0]!;
  const segments = path.split("/").slice(1);
  const usage = `expected a path /<namespace>/<type>/<id>, got "${path}"`;
  if (segments.length !== 3 || segments.some((s) => s.length === 0)) return usage;
  try {
    const [namespace, type, id] = segments.map((s) => decodeURIComponent(s)) as [string, string, string];
    return { type: `${namespace}/${type}`, id };
  } catch {
    return `${usage} (bad percent-encoding)`;
  }
}

function typenameOf(contentType: string | undefined): string {
  if (contentType === undefined) return STRING_TYPENAME;
  for (const part of contentType.split(",")) {
    const value = part.trim();
    if (value.toLowerCase().startsWith(VND_PREFIX)) {
      return value.slice(VND_PREFIX.length).split(";", 1)[0]!.trim();
    }
  }
  return STRING_TYPENAME;
}
