import type { Address } from "@eddy/sdk";
import { isValidTypeName } from "@eddy/sdk";
import { addressProblem } from "../model/envelope.js";
import { AdminHttpError } from "./admin-route.js";

/** The address of `/…/{namespace}/{type}/{id}` path parameters, or a 400 naming the part that is wrong. */
export function addressFromParams(params: Readonly<Record<string, string>>): Address {
  const namespace = params["namespace"] ?? "";
  const type = params["type"] ?? "";
  const id = params["id"] ?? "";
  for (const [part, value] of [
    ["namespace", namespace],
    ["type", type],
  ] as const) {
    if (value === "") throw badAddress(`${part} is empty; the path is /{namespace}/{type}/{id}`);
    if (value.includes("/")) throw badAddress(`${part} "${value}" contains "/"; the path is /{namespace}/{type}/{id}`);
  }
  const functionType = `${namespace}/${type}`;
  if (!isValidTypeName(functionType)) throw badAddress(`"${functionType}" (namespace/type) is not a valid function type`);
  if (id === "") throw badAddress("id is empty");
  const target = { type: functionType, id };
  const problem = addressProblem(target);
  if (problem !== undefined) throw badAddress(`id: ${problem}`);
  return target;
}

/** `ns/name/id` as typed on the command line or in a query: the id is everything after the second "/". */
export function parseAddressText(text: string): Address | string {
  const first = text.indexOf("/");
  const second = first < 0 ? -1 : text.indexOf("/", first + 1);
  if (second < 0) return `"${text}" is not an address; use namespace/type/id`;
  const type = text.slice(0, second);
  const id = text.slice(second + 1);
  if (!isValidTypeName(type)) return `"${type}" (namespace/type) is not a valid function type`;
  if (id === "") return `"${text}" has an empty id`;
  return { type, id };
}

/** The admin API path of an address: each part percent-encoded, so ids with "/" round-trip. */
export function addressPath(target: Address): string {
  const slash = target.type.indexOf("/");
  return [target.type.slice(0, slash), target.type.slice(slash + 1), target.id].map(encodeURIComponent).join("/");
}

function badAddress(message: string): AdminHttpError {
  return new AdminHttpError(400, "EDDY_INVALID_ADDRESS", `malformed address in the path: ${message}`);
}
