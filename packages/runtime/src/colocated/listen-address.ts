import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, unlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where a co-located process listens, and how the runtime reaches it. */
export type ListenAddress =
  | { readonly transport: "unix"; readonly dir: string; readonly socketPath: string }
  | { readonly transport: "tcp"; readonly host: string; readonly port: number };

/**
 * A socket path in a fresh private directory. The name is random and the
 * directory is created with mode 0700 (mkdir fails if it exists), so no other
 * user can pre-create or swap the socket. The path stays short because Unix
 * socket paths are limited to about 107 bytes.
 */
export function unixListenAddress(): ListenAddress {
  const dir = join(tmpdir(), `eddy-colocated-${randomBytes(6).toString("hex")}`);
  mkdirSync(dir, { mode: 0o700 });
  return { transport: "unix", dir, socketPath: join(dir, "fn.sock") };
}

/** A loopback port nothing listens on now: bound once, then released, so the child can take it. */
export async function tcpListenAddress(): Promise<ListenAddress> {
  const host = "127.0.0.1";
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
  return { transport: "tcp", host, port };
}

/** The value of `EDDY_LISTEN`: a socket path, or `host:port`. */
export function listenEnv(address: ListenAddress): string {
  return address.transport === "unix" ? address.socketPath : `${address.host}:${address.port}`;
}

/** For logs and errors: `unix:/tmp/…/fn.sock` or `tcp:127.0.0.1:1234`. */
export function describeListen(address: ListenAddress): string {
  return `${address.transport}:${listenEnv(address)}`;
}

/** The endpoint URL of a request path on the process (for remoteInvoker). */
export function endpointUrl(address: ListenAddress, path: string): string {
  return address.transport === "unix"
    ? `http+unix://${address.socketPath}${path}`
    : `http://${address.host}:${address.port}${path}`;
}

/**
 * A socket file left by a killed process makes the next `listen` fail with
 * EADDRINUSE, so it goes before every (re)start.
 */
export function removeStaleSocket(address: ListenAddress): void {
  if (address.transport !== "unix") return;
  try {
    unlinkSync(address.socketPath);
  } catch {
    // Absent is the usual case.
  }
}

export function removeListenAddress(address: ListenAddress): void {
  if (address.transport === "unix") rmSync(address.dir, { recursive: true, force: true });
}

/** True when something accepts a connection at the address now. */
export function canConnect(address: ListenAddress, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket =
      address.transport === "unix" ? connect({ path: address.socketPath }) : connect({ host: address.host, port: address.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
