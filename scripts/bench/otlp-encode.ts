/**
 * A minimal OTLP protobuf encoder for the benchmark's load generator: ExportTraceServiceRequest
 * with spans carrying string and int attributes, as an SDK exporter sends them.
 */

export interface BenchSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  start: bigint;
  end: bigint;
  attributes: [string, string | bigint][];
}

const utf8 = new TextEncoder();

class Writer {
  private chunks: number[] = [];
  varint(value: bigint | number): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2).varint(data.length);
    for (const b of data) this.chunks.push(b);
    return this;
  }
  string(field: number, text: string): this {
    return this.bytes(field, utf8.encode(text));
  }
  fixed64(field: number, value: bigint): this {
    this.tag(field, 1);
    for (let i = 0n; i < 8n; i++) this.chunks.push(Number((value >> (8n * i)) & 0xffn));
    return this;
  }
  finish(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.chunks);
  }
}

function keyValue(key: string, value: string | bigint): Uint8Array {
  const any = new Writer();
  if (typeof value === "string") any.string(1, value);
  else any.tag(3, 0).varint(value);
  return new Writer().string(1, key).bytes(2, any.finish()).finish();
}

function span(s: BenchSpan): Uint8Array {
  const w = new Writer().bytes(1, s.traceId).bytes(2, s.spanId);
  if (s.parentSpanId) w.bytes(4, s.parentSpanId);
  w.string(5, s.name).fixed64(7, s.start).fixed64(8, s.end);
  for (const [k, v] of s.attributes) w.bytes(9, keyValue(k, v));
  w.bytes(15, new Writer().tag(3, 0).varint(1).finish());
  return w.finish();
}

export function encodeExportTraceServiceRequest(spans: readonly BenchSpan[]): Uint8Array<ArrayBuffer> {
  const scope = new Writer();
  for (const s of spans) scope.bytes(2, span(s));
  const resource = new Writer().bytes(1, keyValue("service.name", "fml-bench")).finish();
  const resourceSpans = new Writer().bytes(1, resource).bytes(2, scope.finish()).finish();
  return new Writer().bytes(1, resourceSpans).finish();
}
