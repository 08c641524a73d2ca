import { useRef } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { MetricsService, TimeRange, type WatchMetricsResponse } from "@/gen/hodei/metrics_pb";
import { useClient } from "@/lib/transport";
import { useServerStream } from "@/lib/use-server-stream";
import { providerKeys } from "../api/providers-api";

/**
 * Keeps provider views live without polling: the WatchMetrics stream carries
 * every provider's status, health score and load, and when any of them
 * changes the provider queries are refreshed.
 */
export function useProviderUpdates(): void {
  const metrics = useClient(MetricsService);
  const queryClient = useQueryClient();
  const last = useRef("");

  useServerStream<WatchMetricsResponse>(
    {
      open: (signal) => metrics.watchMetrics({ range: TimeRange.TIME_RANGE_1H, intervalSeconds: 5 }, { signal }),
      onMessage: (msg) => {
        const fingerprint = JSON.stringify(
          (msg.metrics?.providers ?? []).map((p) => [p.name, p.status, p.healthScore, String(p.currentJobs), String(p.workers)]),
        );
        if (last.current && fingerprint !== last.current) void queryClient.invalidateQueries({ queryKey: providerKeys.all });
        last.current = fingerprint;
      },
      reconnectOnEnd: true,
    },
    [metrics, queryClient],
  );
}
