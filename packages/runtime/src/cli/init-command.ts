import type { Command } from "commander";
import { scaffoldProject } from "../scaffold/scaffold-project.js";

/** `eddy init <dir> [--from <packs dir>]`: a runnable project of one's own. */
export function registerInitCommand(program: Command, fail: (error: unknown) => never): void {
  program
    .command("init")
    .description("create a project: package.json, module.yaml, a TypeScript function and its test")
    .argument("<dir>", "directory for the new project (new, or empty)")
    .option("--from <packs-dir>", "depend on the tarballs `npm run pack` wrote there instead of published versions")
    .action((dir: string, opts: { from?: string }) => {
      try {
        const files = scaffoldProject(dir, opts.from === undefined ? {} : { packsDir: opts.from });
        process.stdout.write(`eddy init: wrote ${files.join(", ")} in ${dir}\n`);
        process.stdout.write(`next: cd ${dir} && npm install && npm test && npm start\n`);
      } catch (error) {
        fail(error);
      }
    });
}
