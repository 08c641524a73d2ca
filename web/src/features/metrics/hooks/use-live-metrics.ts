import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { AggregatedMetrics, TimeRange, WatchMetricsResponse } from "@/gen/hodei/metrics_pb";
import { useServerStream } from "@/lib/use-server-stream";
import { metricsKeys, useMetricsClient } from "../api/metrics-api";

const INTERVAL_SECONDS = 2;

/**
 * Aggregated metrics over `range`: fetched once, then kept current by the
 * WatchMetrics stream (which the server pushes every couple of seconds).
 */
export function useLiveMetrics(range: TimeRange) {
  const client = useMetricsClient();
  const queryClient = useQueryClient();
  const key = metricsKeys.range(range);

  const query = useQuery({
    queryKey: key,
    queryFn: async ({ signal }): Promise<AggregatedMetrics | null> =>
      (await client.getAggregatedMetrics({ range }, { signal })).metrics ?? null,
    staleTime: Infinity,
  });

  useServerStream<WatchMetricsResponse>(
    {
      open: (signal) => client.watchMetrics({ range, intervalSeconds: INTERVAL_SECONDS }, { signal }),
      onMessage: (msg) => {
        if (msg.metrics) queryClient.setQueryData(key, msg.metrics);
      },
      reconnectOnEnd: true,
    },
    [client, range],
  );

  return query;
}
