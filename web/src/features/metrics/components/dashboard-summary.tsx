import { TimeRange } from "@/gen/hodei/metrics_pb";
import { ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { useLiveMetrics } from "../hooks/use-live-metrics";
import { StatCards } from "./stat-cards";
import { SystemHealth } from "./system-health";

/** The dashboard's stat cards and system health, live. */
export function DashboardSummary() {
  const query = useLiveMetrics(TimeRange.TIME_RANGE_24H);
  if (query.isPending) return <Loading label="Loading summary…" />;
  if (query.isError && !query.data) return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  if (!query.data) return <ErrorState message="The server sent no metrics." />;
  return (
    <>
      <StatCards metrics={query.data} />
      <div style={{ marginTop: 12 }}>
        <SystemHealth metrics={query.data} />
      </div>
    </>
  );
}
