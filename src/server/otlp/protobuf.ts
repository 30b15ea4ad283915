/**
 * A small protobuf decoder for OTLP's `ExportTraceServiceRequest` (opentelemetry-proto
 * collector/trace/v1): just the wire format (varint, fixed64, length-delimited, fixed32) and the
 * field numbers of the messages MLflow reads. Unknown fields are skipped as the format requires,
 * so newer exporters that add fields still decode. fml takes no protobuf dependency for this.
 */

import { hex, OtlpFormatError, statusCodes, type AnyValue, type KeyValue, type OtlpEvent, type OtlpSpan } from "./model.ts";

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const utf8 = new TextDecoder("utf-8", { fatal: true });

class Reader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpFormatError("truncated varint");
      const b = this.bytes[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new OtlpFormatError("varint longer than 10 bytes");
  }

  /**
   * A varint that must fit a JS number: lengths, tags, enums. Read without BigInt, which made
   * decoding a 1,000-span request several times slower.
   */
  smallVarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new OtlpFormatError("truncated varint");
      const b = this.bytes[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new OtlpFormatError("length out of range");
  }

  fixed64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The sub-range of a length-delimited field. */
  sub(): Reader {
    const length = this.smallVarint();
    this.need(length);
    const reader = new Reader(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return reader;
  }

  bytesField(): Uint8Array {
    const r = this.sub();
    return this.bytes.subarray(r.pos, r.end);
  }

  string(): string {
    try {
      return utf8.decode(this.bytesField());
    } catch (error) {
      if (error instanceof OtlpFormatError) throw error;
      throw new OtlpFormatError("string field is not valid UTF-8");
    }
  }

  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === FIXED64) this.advance(8);
    else if (wireType === LEN) this.sub();
    else if (wireType === FIXED32) this.advance(4);
    else throw new OtlpFormatError(`unsupported wire type ${wireType}`);
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new OtlpFormatError("truncated message");
  }

  /** Calls `field` for every (number, wire type); `field` returns false to skip the field. */
  fields(field: (number: number, wireType: number) => boolean): void {
    while (!this.done()) {
      const tag = this.smallVarint();
      const number = tag >>> 3;
      const wireType = tag & 7;
      if (number === 0) throw new OtlpFormatError("field number 0");
      if (!field(number, wireType)) this.skip(wireType);
    }
  }
}

function expectWire(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new OtlpFormatError(`${what} has wire type ${actual}, expected ${expected}`);
}

function anyValue(r: Reader): AnyValue {
  let value: AnyValue = { kind: "empty" };
  r.fields((n, w) => {
    switch (n) {
      case 1:
        expectWire(w, LEN, "AnyValue.string_value");
        value = { kind: "string", value: r.string() };
        return true;
      case 2:
        expectWire(w, VARINT, "AnyValue.bool_value");
        value = { kind: "bool", value: r.varint() !== 0n };
        return true;
      case 3:
        expectWire(w, VARINT, "AnyValue.int_value");
        value = { kind: "int", value: BigInt.asIntN(64, r.varint()) };
        return true;
      case 4:
        expectWire(w, FIXED64, "AnyValue.double_value");
        value = { kind: "double", value: r.double() };
        return true;
      case 5: {
        expectWire(w, LEN, "AnyValue.array_value");
        const values: AnyValue[] = [];
        const sub = r.sub();
        sub.fields((m, mw) => {
          if (m !== 1) return false;
          expectWire(mw, LEN, "ArrayValue.values");
          values.push(anyValue(sub.sub()));
          return true;
        });
        value = { kind: "array", values };
        return true;
      }
      case 6: {
        expectWire(w, LEN, "AnyValue.kvlist_value");
        const values: KeyValue[] = [];
        const sub = r.sub();
        sub.fields((m, mw) => {
          if (m !== 1) return false;
          expectWire(mw, LEN, "KeyValueList.values");
          values.push(keyValue(sub.sub()));
          return true;
        });
        value = { kind: "kvlist", values };
        return true;
      }
      case 7:
        expectWire(w, LEN, "AnyValue.bytes_value");
        value = { kind: "bytes", value: r.bytesField().slice() };
        return true;
      default:
        return false;
    }
  });
  return value;
}

function keyValue(r: Reader): KeyValue {
  let key = "";
  let value: AnyValue = { kind: "empty" };
  r.fields((n, w) => {
    if (n === 1) {
      expectWire(w, LEN, "KeyValue.key");
      key = r.string();
      return true;
    }
    if (n === 2) {
      expectWire(w, LEN, "KeyValue.value");
      value = anyValue(r.sub());
      return true;
    }
    return false;
  });
  return { key, value };
}

/** Repeated `KeyValue attributes` of a message (field `number`), appended to `into`. */
function attributesOf(r: Reader, w: number, into: KeyValue[]): true {
  expectWire(w, LEN, "attributes");
  into.push(keyValue(r.sub()));
  return true;
}

function event(r: Reader): OtlpEvent {
  const out: OtlpEvent = { name: "", timeUnixNano: 0n, attributes: [] };
  r.fields((n, w) => {
    if (n === 1) {
      expectWire(w, FIXED64, "Event.time_unix_nano");
      out.timeUnixNano = r.fixed64();
      return true;
    }
    if (n === 2) {
      expectWire(w, LEN, "Event.name");
      out.name = r.string();
      return true;
    }
    if (n === 3) return attributesOf(r, w, out.attributes);
    return false;
  });
  return out;
}

function span(r: Reader, resource: KeyValue[]): OtlpSpan {
  const out: OtlpSpan = {
    traceId: "",
    spanId: "",
    parentSpanId: "",
    name: "",
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    events: [],
    status: { code: "STATUS_CODE_UNSET", message: "" },
    resource,
  };
  r.fields((n, w) => {
    switch (n) {
      case 1:
        expectWire(w, LEN, "Span.trace_id");
        out.traceId = hex(r.bytesField());
        return true;
      case 2:
        expectWire(w, LEN, "Span.span_id");
        out.spanId = hex(r.bytesField());
        return true;
      case 4:
        expectWire(w, LEN, "Span.parent_span_id");
        out.parentSpanId = hex(r.bytesField());
        return true;
      case 5:
        expectWire(w, LEN, "Span.name");
        out.name = r.string();
        return true;
      case 7:
        expectWire(w, FIXED64, "Span.start_time_unix_nano");
        out.startTimeUnixNano = r.fixed64();
        return true;
      case 8:
        expectWire(w, FIXED64, "Span.end_time_unix_nano");
        out.endTimeUnixNano = r.fixed64();
        return true;
      case 9:
        return attributesOf(r, w, out.attributes);
      case 11:
        expectWire(w, LEN, "Span.events");
        out.events.push(event(r.sub()));
        return true;
      case 15: {
        expectWire(w, LEN, "Span.status");
        const sub = r.sub();
        sub.fields((m, mw) => {
          if (m === 2) {
            expectWire(mw, LEN, "Status.message");
            out.status.message = sub.string();
            return true;
          }
          if (m === 3) {
            expectWire(mw, VARINT, "Status.code");
            out.status.code = statusCodes[Number(sub.varint())] ?? "STATUS_CODE_UNSET";
            return true;
          }
          return false;
        });
        return true;
      }
      default:
        return false;
    }
  });
  return out;
}

function resourceSpans(r: Reader, into: OtlpSpan[]): void {
  const resource: KeyValue[] = [];
  const scopes: Reader[] = [];
  // The resource may come after its spans on the wire; read it first, then the spans.
  r.fields((n, w) => {
    if (n === 1) {
      expectWire(w, LEN, "ResourceSpans.resource");
      const sub = r.sub();
      sub.fields((m, mw) => (m === 1 ? attributesOf(sub, mw, resource) : false));
      return true;
    }
    if (n === 2) {
      expectWire(w, LEN, "ResourceSpans.scope_spans");
      scopes.push(r.sub());
      return true;
    }
    return false;
  });
  for (const scope of scopes) {
    scope.fields((m, mw) => {
      if (m !== 2) return false;
      expectWire(mw, LEN, "ScopeSpans.spans");
      into.push(span(scope.sub(), resource));
      return true;
    });
  }
}

/** Result of decoding: the spans, and whether the request named any resourceSpans at all. */
export interface DecodedRequest {
  spans: OtlpSpan[];
  resourceSpansCount: number;
}

export function decodeExportTraceServiceRequest(bytes: Uint8Array): DecodedRequest {
  const r = new Reader(bytes);
  const spans: OtlpSpan[] = [];
  let resourceSpansCount = 0;
  r.fields((n, w) => {
    if (n !== 1) return false;
    expectWire(w, LEN, "ExportTraceServiceRequest.resource_spans");
    resourceSpansCount++;
    resourceSpans(r.sub(), spans);
    return true;
  });
  return { spans, resourceSpansCount };
}
