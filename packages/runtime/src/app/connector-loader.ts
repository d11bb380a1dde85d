import { readFileSync } from "node:fs";
import { EddyError } from "@eddy/sdk";

/**
 * The client libraries behind the Kafka and Kinesis connectors take most of a
 * second to load and are optional peer dependencies of `@eddy/runtime`, so a
 * connector's module is imported only when a module file uses it.
 */
export type ConnectorName = "kafka" | "kinesis";

const CLIENT_PACKAGES: Record<ConnectorName, readonly string[]> = {
  kafka: ["@platformatic/kafka"],
  kinesis: ["@aws-sdk/client-kinesis", "@smithy/node-http-handler"],
};

function pinnedVersions(): Record<string, string> {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      peerDependencies?: Record<string, string>;
    };
    return manifest.peerDependencies ?? {};
  } catch {
    return {};
  }
}

function isModuleNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND";
}

/**
 * Imports a connector module; when its client library is not installed, says
 * which component needs it and the exact install command.
 */
export async function loadConnector<T>(name: ConnectorName, load: () => Promise<T>, where: string): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (!isModuleNotFound(cause)) throw cause;
    const versions = pinnedVersions();
    const packages = CLIENT_PACKAGES[name].map((p) => (versions[p] === undefined ? p : `${p}@${versions[p]}`));
    throw new EddyError(
      "EDDY_CONFIG_INVALID",
      `${where}: the ${name} connector needs ${packages.join(" and ")}, which is not installed. Run \`npm install ${packages.join(" ")}\` in your project and start again.`,
      { cause },
    );
  }
}
