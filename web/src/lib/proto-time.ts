import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";

/** ms since the epoch, 0 when the field is absent (not reached yet). */
export function tsMs(ts: Timestamp | undefined): number {
  return ts ? timestampMs(ts) : 0;
}

/** ms, 0 when the field is absent. */
export function durMs(d: Duration | undefined): number {
  return d ? durationMs(d) : 0;
}
