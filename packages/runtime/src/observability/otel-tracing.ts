import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Link, Span, SpanContext, Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";
import type { SpanOptions, TraceSpan, Tracing } from "./tracing.js";

export interface OtelTracingOptions {
  /** The OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces. */
  readonly url: string;
  readonly serviceName: string;
  /** How long spans wait in the batch before an export. Default 1000 ms. */
  readonly scheduleDelayMs?: number;
}

const KINDS = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;

function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  const parsed = parseTraceparent(traceparent);
  if (parsed === undefined) return undefined;
  return { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.flags, isRemote: true };
}

class OtelSpan implements TraceSpan {
  readonly #span: Span;
  readonly traceparent: string;

  constructor(span: Span) {
    this.#span = span;
    const c = span.spanContext();
    this.traceparent = formatTraceparent({ traceId: c.traceId, spanId: c.spanId, flags: c.traceFlags });
  }

  setAttribute(name: string, value: string | number | boolean): void {
    this.#span.setAttribute(name, value);
  }

  fail(error: unknown): void {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") this.#span.setAttribute("eddy.error_code", code);
    if (error instanceof Error) this.#span.recordException(error);
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }

  end(): void {
    this.#span.end();
  }
}

/**
 * Tracing through the OpenTelemetry SDK: spans are batched and exported over
 * OTLP/HTTP. Parents are passed explicitly as traceparent strings (they travel
 * with messages through the log), so no async context manager is needed.
 */
export class OtelTracing implements Tracing {
  readonly enabled = true;
  readonly #provider: BasicTracerProvider;
  readonly #tracer: Tracer;

  constructor(options: OtelTracingOptions) {
    const exporter = new OTLPTraceExporter({ url: options.url });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ "service.name": options.serviceName }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduleDelayMs ?? 1000 })],
    });
    this.#tracer = this.#provider.getTracer("eddy");
  }

  startSpan(name: string, options: SpanOptions): TraceSpan {
    const parent = spanContextOf(options.parent);
    const context = parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
    const links: Link[] = [];
    for (const l of options.links ?? []) {
      const c = spanContextOf(l);
      if (c !== undefined) links.push({ context: c });
    }
    const span = this.#tracer.startSpan(
      name,
      {
        kind: KINDS[options.kind ?? "internal"],
        ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
        ...(links.length === 0 ? {} : { links }),
      },
      context,
    );
    return new OtelSpan(span);
  }

  async shutdown(): Promise<void> {
    await this.#provider.shutdown();
  }
}
