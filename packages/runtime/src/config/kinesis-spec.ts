// `io.statefun.kinesis.v1/ingress` and `io.statefun.kinesis.v1/egress`.

import type { ConfigNode } from "./config-node.js";
import type {
  AwsCredentials,
  AwsRegion,
  KinesisEgressSpec,
  KinesisIngressSpec,
  KinesisStartupPosition,
  KinesisStreamRoute,
} from "./module-config.js";
import { requiredStartupDate } from "./startup-date.js";

export const DEFAULT_MAX_OUTSTANDING_RECORDS = 1000;

export function parseKinesisIngressSpec(spec: ConfigNode): KinesisIngressSpec {
  return {
    id: spec.child("id").requiredTypeName("the ingress id, e.g. example/names"),
    awsRegion: parseAwsRegion(spec.child("awsRegion")),
    awsCredentials: parseAwsCredentials(spec.child("awsCredentials")),
    startupPosition: parseStartupPosition(spec.child("startupPosition")),
    streams: spec
      .child("streams")
      .list({ required: true, nonEmpty: true, hint: "a list of {stream, valueType, targets}" })
      .map(parseStreamRoute),
    clientConfigProperties: spec.child("clientConfigProperties").keyValueList(),
  };
}

export function parseKinesisEgressSpec(spec: ConfigNode): KinesisEgressSpec {
  return {
    id: spec.child("id").requiredTypeName("the egress id functions send to, e.g. example/out"),
    awsRegion: parseAwsRegion(spec.child("awsRegion")),
    awsCredentials: parseAwsCredentials(spec.child("awsCredentials")),
    maxOutstandingRecords: spec
      .child("maxOutstandingRecords")
      .integer(DEFAULT_MAX_OUTSTANDING_RECORDS, { min: 1 }),
    clientConfigProperties: spec.child("clientConfigProperties").keyValueList(),
  };
}

function parseStreamRoute(item: ConfigNode): KinesisStreamRoute {
  const route = item.map({ required: true, hint: "{stream, valueType, targets}" });
  return {
    stream: route.child("stream").requiredString(),
    valueType: route.child("valueType").requiredTypeName("the type name records are tagged with"),
    targets: route
      .child("targets")
      .list({ required: true, hint: "function types to send each record to" })
      .map((target) => target.requiredTypeName()),
  };
}

function parseStartupPosition(node: ConfigNode): KinesisStartupPosition {
  const position = node.map();
  if (!position.isPresent) return { type: "latest" };
  const type = position.child("type").choice(["latest", "earliest", "date"], undefined, { caseInsensitive: true });
  return type === "date" ? { type, epochMillis: requiredStartupDate(position.child("date")) } : { type };
}

/** Absent means the AWS default provider chain, as in StateFun. */
function parseAwsRegion(node: ConfigNode): AwsRegion {
  const region = node.map();
  if (!region.isPresent) return { type: "default" };
  const type = region.child("type").choice(["default", "specific", "custom-endpoint"], undefined);
  switch (type) {
    case "default":
      return { type };
    case "specific":
      return { type, id: region.child("id").requiredString("the region name, e.g. us-west-1") };
    case "custom-endpoint":
      return {
        type,
        endpoint: requiredEndpointUrl(region.child("endpoint")),
        id: region.child("id").requiredString("the region name used for signing"),
      };
  }
}

/** The AWS SDK takes the endpoint as a URL and would only fail on the first request. */
function requiredEndpointUrl(node: ConfigNode): string {
  const text = node.requiredString("the endpoint URL");
  if (text === "") return text;
  let url: URL | undefined;
  try {
    url = /\s/u.test(text) ? undefined : new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "" || url.port === "0" || /^https?:\/\/[/?#]/u.test(text)) {
    node.report(`"${text}" is not an http or https URL with a host (expected e.g. "http://localhost:4567")`);
  }
  return text;
}

/** Absent means the AWS default credentials chain, as in StateFun. */
function parseAwsCredentials(node: ConfigNode): AwsCredentials {
  const credentials = node.map();
  if (!credentials.isPresent) return { type: "default" };
  const type = credentials.child("type").choice(["default", "basic", "profile"], undefined);
  switch (type) {
    case "default":
      return { type };
    case "basic":
      return {
        type,
        accessKeyId: credentials.child("accessKeyId").requiredString(),
        secretAccessKey: credentials.child("secretAccessKey").requiredString(),
      };
    case "profile": {
      const profileName = credentials.child("profileName").requiredString();
      const profilePath = credentials.child("profilePath").optionalString();
      return { type, profileName, ...(profilePath === undefined ? {} : { profilePath }) };
    }
  }
}
