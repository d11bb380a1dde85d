// Which component serves a function type. StateFun gives a specific binding
// (`ns/name`) precedence over a namespace binding (`ns/*`), whatever the order
// in the file.

import type { FunctionBindingComponent, ModuleComponent, ModuleConfig } from "./module-config.js";

function isFunctionBinding(component: ModuleComponent): component is FunctionBindingComponent {
  return (
    component.kind === "io.statefun.endpoints.v1/http" ||
    component.kind === "io.statefun.endpoints.v2/http" ||
    component.kind === "io.eddy.functions.v1/embedded" ||
    component.kind === "io.eddy.functions.v1/colocated"
  );
}

/** Every component that binds functions, in file order. */
export function functionBindings(config: ModuleConfig): FunctionBindingComponent[] {
  return config.components.filter(isFunctionBinding);
}

/**
 * The component serving `functionType` (`ns/name`): its specific binding if
 * there is one, else its namespace binding, else undefined.
 *
 * @example findFunctionBinding(config, "example/greeter")?.kind // "io.statefun.endpoints.v2/http"
 */
export function findFunctionBinding(config: ModuleConfig, functionType: string): FunctionBindingComponent | undefined {
  const slash = functionType.indexOf("/");
  if (slash < 0) return undefined;
  const namespace = functionType.slice(0, slash);
  const bindings = functionBindings(config);
  return (
    bindings.find((b) => b.spec.functions.kind === "function" && b.spec.functions.text === functionType) ??
    bindings.find((b) => b.spec.functions.kind === "namespace" && b.spec.functions.namespace === namespace)
  );
}
