import { EddyError } from "@eddy/sdk";
import type { Logger } from "../log/logger.js";

export type SpanAttributes = Readonly<Record<string, string | number | boolean>>;

/** One span in progress. */
export interface TraceSpan {
  /** The W3C traceparent naming this span: what messages sent within it carry. */
  readonly traceparent: string;
  setAttribute(name: string, value: string | number | boolean): void;
  /** Marks the span failed with the error's code and message. */
  fail(error: unknown): void;
  end(): void;
}

export type SpanKind = "internal" | "server" | "client" | "producer" | "consumer";

export interface SpanOptions {
  /** The traceparent of the parent span; undefined starts a new trace. */
  readonly parent: string | undefined;
  readonly kind?: SpanKind;
  readonly attributes?: SpanAttributes;
  /** Other traces this span continues (the other messages of a batch). */
  readonly links?: readonly string[];
}

/**
 * How the runtime reports spans. `enabled` is false unless an OTLP endpoint is
 * configured: then the runtime neither reads nor stores traceparent headers,
 * and the only cost on its hot path is reading that flag.
 */
export interface Tracing {
  readonly enabled: boolean;
  startSpan(name: string, options: SpanOptions): TraceSpan;
  /** Sends the spans still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

const noSpan: TraceSpan = {
  traceparent: "",
  setAttribute: () => undefined,
  fail: () => undefined,
  end: () => undefined,
};

/** Tracing switched off. */
export const noTracing: Tracing = {
  enabled: false,
  startSpan: () => noSpan,
  shutdown: () => Promise.resolve(),
};

export interface TracingEnvironment {
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  readonly OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  readonly OTEL_SERVICE_NAME?: string | undefined;
  readonly OTEL_BSP_SCHEDULE_DELAY?: string | undefined;
}

/**
 * Tracing as the OpenTelemetry environment variables ask for it: spans go over
 * OTLP/HTTP (JSON) to `$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or to
 * `$OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces`; with neither set, tracing is off
 * and the OpenTelemetry SDK is not even loaded.
 * @throws EddyError EDDY_CONFIG_INVALID when the endpoint is not an http(s) URL.
 */
export async function tracingFromEnvironment(env: TracingEnvironment, logger: Logger): Promise<Tracing> {
  const url = tracesUrl(env);
  if (url === undefined) return noTracing;
  const delay = env.OTEL_BSP_SCHEDULE_DELAY === undefined ? undefined : Number(env.OTEL_BSP_SCHEDULE_DELAY);
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
    throw new EddyError("EDDY_CONFIG_INVALID", `OTEL_BSP_SCHEDULE_DELAY must be a number of milliseconds, got "${env.OTEL_BSP_SCHEDULE_DELAY}"`);
  }
  const { OtelTracing } = await import("./otel-tracing.js");
  const tracing = new OtelTracing({
    url,
    serviceName: env.OTEL_SERVICE_NAME ?? "eddy",
    ...(delay === undefined ? {} : { scheduleDelayMs: delay }),
  });
  logger.info({ otlpEndpoint: url }, "tracing: exporting spans over OTLP/HTTP");
  return tracing;
}

function tracesUrl(env: TracingEnvironment): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const [variable, value] =
    specific !== undefined && specific !== ""
      ? ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", specific]
      : general !== undefined && general !== ""
        ? ["OTEL_EXPORTER_OTLP_ENDPOINT", general]
        : [undefined, undefined];
  if (variable === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EddyError("EDDY_CONFIG_INVALID", `${variable} is not a URL: "${value}" (expected e.g. http://127.0.0.1:4318)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new EddyError("EDDY_CONFIG_INVALID", `${variable} must be an http:// or https:// URL (OTLP/HTTP), got "${value}"`);
  }
  // The general variable names the collector; the signal's path is appended (OpenTelemetry's rule).
  if (variable === "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") return parsed.href;
  return `${parsed.href.replace(/\/+$/u, "")}/v1/traces`;
}
