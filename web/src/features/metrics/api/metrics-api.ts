import { MetricsService, TimeRange } from "@/gen/hodei/metrics_pb";
import { useClient } from "@/lib/transport";

export function useMetricsClient() {
  return useClient(MetricsService);
}

export const metricsKeys = {
  range: (range: TimeRange) => ["metrics", range] as const,
};

export type RangeKey = "1h" | "24h" | "7d" | "30d";

export const RANGES = [
  { value: "1h", label: "1H", range: TimeRange.TIME_RANGE_1H },
  { value: "24h", label: "24H", range: TimeRange.TIME_RANGE_24H },
  { value: "7d", label: "7D", range: TimeRange.TIME_RANGE_7D },
  { value: "30d", label: "30D", range: TimeRange.TIME_RANGE_30D },
] as const satisfies readonly { value: RangeKey; label: string; range: TimeRange }[];

export function timeRangeOf(key: RangeKey): TimeRange {
  return RANGES.find((r) => r.value === key)?.range ?? TimeRange.TIME_RANGE_1H;
}
