import type { Runtime } from "../runtime/runtime.js";
import { AdminServer } from "./admin-server.js";
import type { AdminServerOptions } from "./admin-server.js";
import { registerHealthRoutes } from "./health-routes.js";
import { registerMetricsRoutes } from "./metrics-routes.js";
import { registerConsoleRoutes } from "./console-routes.js";
import { registerAddressRoutes } from "./address-routes.js";
import { registerQuarantineRoutes } from "./quarantine-routes.js";

/**
 * The admin server of one runtime with Eddy's own endpoints registered.
 * Start it before `runtime.start()` so /readyz answers 503 during recovery.
 */
export function createRuntimeAdmin(runtime: Runtime, options: AdminServerOptions): AdminServer {
  const admin = new AdminServer(options);
  registerHealthRoutes(admin, runtime);
  registerMetricsRoutes(admin, runtime, { quarantinedAddresses: () => runtime.quarantinedCount });
  registerAddressRoutes(admin, runtime);
  registerQuarantineRoutes(admin, runtime);
  registerConsoleRoutes(admin);
  return admin;
}
