// How to start each compatibility-suite function server. Plain Node, no dependencies, so the
// runtime's test harness can import it too:
//
//   import { LANGS, startServer } from "../compat/servers.mjs";
//   const srv = await startServer("python", { port: 0 });   // port 0 = pick a free port
//   ... POST to srv.url ...
//   await srv.stop();
//
// Build the servers first with `compat/setup.sh <lang>`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const COMPAT_DIR = path.dirname(fileURLToPath(import.meta.url));
export const LANGS = ["js", "python", "go", "java"];

/** Command line per language, plus a file whose existence means "built". */
export function serverCommand(lang) {
  const d = (...p) => path.join(COMPAT_DIR, ...p);
  switch (lang) {
    case "js":
      return { cmd: process.execPath, args: [d("js", "server.js")], built: d("js", "node_modules", "apache-flink-statefun", "package.json") };
    case "python":
      return { cmd: d("python", ".venv", "bin", "python"), args: [d("python", "server.py")], built: d("python", ".venv", "bin", "python") };
    case "go":
      return { cmd: d("go", "bin", "server"), args: [], built: d("go", "bin", "server") };
    case "java":
      return { cmd: "java", args: ["-jar", d("java", "target", "compat-server.jar")], built: d("java", "target", "compat-server.jar") };
    default:
      throw new Error(`unknown language ${lang} (expected one of ${LANGS.join(", ")})`);
  }
}

export function isBuilt(lang) {
  return existsSync(serverCommand(lang).built);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a language's server on 127.0.0.1 and resolves once it printed "READY <port>".
 * @returns {Promise<{lang:string, port:number, url:string, child:import('node:child_process').ChildProcess, output:()=>string, stop:()=>Promise<void>}>}
 */
export async function startServer(lang, { port = 0, readyTimeoutMs = 60_000, env = {} } = {}) {
  const { cmd, args, built } = serverCommand(lang);
  if (!existsSync(built)) throw new Error(`${lang} server is not built (${built} missing): run compat/setup.sh ${lang}`);
  if (!port) port = await freePort();
  const child = spawn(cmd, args, {
    cwd: path.join(COMPAT_DIR, lang),
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (chunk) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve({ code, sig })));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${lang} server did not print READY within ${readyTimeoutMs} ms. Output:\n${out}`));
    }, readyTimeoutMs);
    const onData = () => {
      if (new RegExp(`^READY ${port}$`, "m").test(out)) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${lang} server failed to start: ${e.message}`));
    });
    exited.then(({ code, sig }) => {
      clearTimeout(timer);
      reject(new Error(`${lang} server exited (code ${code}, signal ${sig}) before READY. Output:\n${out}`));
    });
  });
  return { lang, port, url: `http://127.0.0.1:${port}/statefun`, child, output: () => out, stop };
}

/**
 * Renders a compat/*.template file: every ${NAME} is replaced from `vars`; a placeholder without a
 * value throws (so a test never runs against a half-rendered module.yaml).
 * @param {string} name e.g. "module.yaml.template"
 * @param {Record<string, string|number>} vars e.g. { PORT: 8000, INGRESS_PORT: 8090, EGRESS_PORT: 8091 }
 */
export function renderTemplate(name, vars) {
  const text = readFileSync(path.join(COMPAT_DIR, name), "utf8");
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, key) => {
    if (vars[key] === undefined) throw new Error(`${name}: no value for \${${key}}`);
    return String(vars[key]);
  });
}
