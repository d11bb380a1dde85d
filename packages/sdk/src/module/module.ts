import type { Address } from "../core/address.js";
import type { TypedValue } from "../core/typed-value.js";
import type { StatefulFunction } from "../function/stateful-function.js";

/*
 * The seed's Module and Binder, in TypeScript. A module is code that binds
 * components into one application: functions, ingresses, the routers that
 * turn ingress records into messages, and egresses. Several modules (and the
 * components declared in module.yaml) share one binder.
 */

/** One record read by an ingress, before routing. */
export interface IngressRecord {
  /** The id of the ingress that read it, `namespace/name`. */
  readonly ingress: string;
  /** The record key, when the source has one (a Kafka key, a Kinesis partition key). */
  readonly key: string | undefined;
  readonly value: TypedValue;
}

export interface RoutedMessage {
  readonly target: Address;
  readonly argument: TypedValue;
}

/** Decides which addresses receive an ingress record (zero, one or several). */
export type Router = (record: IngressRecord) => readonly RoutedMessage[];

/**
 * An ingress written in TypeScript. `emit` resolves once the runtime has
 * accepted the record (it waits while the runtime pushes back).
 */
export interface CustomIngress {
  start(emit: (record: IngressRecord) => Promise<void>): void | Promise<void>;
  stop(): void | Promise<void>;
}

/** An egress written in TypeScript; records arrive after the invocation that sent them committed. */
export interface CustomEgress {
  deliver(records: readonly TypedValue[]): void | Promise<void>;
}

export interface Binder {
  bindFunction(fn: StatefulFunction): void;
  bindIngress(id: string, ingress: CustomIngress): void;
  bindIngressRouter(ingressId: string, router: Router): void;
  bindEgress(id: string, egress: CustomEgress): void;
}

export interface EddyModule {
  readonly kind: "eddy.module";
  configure(binder: Binder, globalConfiguration: Readonly<Record<string, string>>): void;
}

/**
 * Defines a module; export it from a file bound by an `io.eddy.functions.v1/embedded`
 * component, or pass it to the runtime directly.
 *
 * @example
 * export const module = defineModule((binder) => {
 *   binder.bindFunction(greeter);
 *   binder.bindEgress("example/log", { deliver: (records) => console.log(records) });
 * });
 */
export function defineModule(configure: EddyModule["configure"]): EddyModule {
  return { kind: "eddy.module", configure };
}

export function isEddyModule(x: unknown): x is EddyModule {
  return typeof x === "object" && x !== null && (x as EddyModule).kind === "eddy.module";
}
