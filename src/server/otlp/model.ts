/**
 * The OTLP trace data fml reads, whichever wire format it came in (protobuf or JSON): only the
 * fields MLflow keeps. Times are BigInt nanoseconds (they exceed 2^53), ids lowercase hex.
 */

export type AnyValue =
  | { kind: "string"; value: string }
  | { kind: "bool"; value: boolean }
  | { kind: "int"; value: bigint }
  | { kind: "double"; value: number }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "array"; values: AnyValue[] }
  | { kind: "kvlist"; values: KeyValue[] }
  /** An AnyValue with no field set: Python decodes it to None. */
  | { kind: "empty" };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export type StatusCode = "STATUS_CODE_UNSET" | "STATUS_CODE_OK" | "STATUS_CODE_ERROR";

export interface OtlpEvent {
  name: string;
  timeUnixNano: bigint;
  attributes: KeyValue[];
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  events: OtlpEvent[];
  status: { code: StatusCode; message: string };
  /** Attributes of the resource that emitted the span. */
  resource: KeyValue[];
}

/** Thrown for a body that is not a well-formed ExportTraceServiceRequest. */
export class OtlpFormatError extends Error {
  override name = "OtlpFormatError";
}

export const statusCodes: readonly StatusCode[] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function hex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b];
  return out;
}
