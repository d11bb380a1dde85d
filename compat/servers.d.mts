// Types for compat/servers.mjs, so the TypeScript tests under compat/test can import it.
import type { ChildProcess } from "node:child_process";

export type Lang = "js" | "python" | "go" | "java";

export const COMPAT_DIR: string;
export const LANGS: Lang[];

export function serverCommand(lang: Lang): { cmd: string; args: string[]; built: string };
export function isBuilt(lang: Lang): boolean;
export function freePort(): Promise<number>;

export interface StartedServer {
  readonly lang: Lang;
  readonly port: number;
  /** `http://127.0.0.1:<port>/statefun` */
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startServer(
  lang: Lang,
  options?: { port?: number; readyTimeoutMs?: number; env?: Record<string, string> },
): Promise<StartedServer>;

export function renderTemplate(name: string, vars: Record<string, string | number>): string;
