import { useState } from "react";
import { ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { timeRangeOf, type RangeKey } from "../api/metrics-api";
import { useLiveMetrics } from "../hooks/use-live-metrics";
import { ActiveProviders } from "./active-providers";
import { ExecutionTrendChart } from "./execution-trend-chart";
import { JobDistributionChart } from "./job-distribution-chart";
import { MetricsKpis } from "./metrics-kpis";
import { RangeSelector } from "./range-selector";

/** The Metrics page: range selector, KPIs, charts and providers. */
export function MetricsOverview() {
  const [range, setRange] = useState<RangeKey>("24h");
  const query = useLiveMetrics(timeRangeOf(range));
  return (
    <>
      <div className="metrics-top">
        <h1>Metrics</h1>
        <RangeSelector value={range} onChange={setRange} />
      </div>
      {query.isPending ? (
        <Loading label="Loading metrics…" />
      ) : query.isError && !query.data ? (
        <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />
      ) : !query.data ? (
        <ErrorState message="The server sent no metrics." />
      ) : (
        <div data-testid="metrics" data-range={range}>
          <MetricsKpis metrics={query.data} />
          <div className="chart-grid">
            <JobDistributionChart metrics={query.data} />
            <ExecutionTrendChart metrics={query.data} />
          </div>
          <div style={{ marginTop: 12 }}>
            <ActiveProviders metrics={query.data} />
          </div>
        </div>
      )}
    </>
  );
}
