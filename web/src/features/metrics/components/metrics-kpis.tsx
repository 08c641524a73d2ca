import type { AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { StatCard } from "@/components/ui/stat-card";
import { formatDuration, formatNumber, formatPercent, num } from "@/lib/format";
import { durMs } from "@/lib/proto-time";
import { cpuLoadRatio } from "../utils/metrics-view";
import "./metrics.css";

/** The range's Total Jobs, Success Rate, Avg Duration and CPU Load. */
export function MetricsKpis({ metrics }: { metrics: AggregatedMetrics }) {
  const avg = durMs(metrics.avgDuration);
  return (
    <div className="stat-grid" data-testid="kpis">
      <StatCard testId="kpi-total" label="Total Jobs" tone="accent" value={formatNumber(num(metrics.rangeTotalJobs))} />
      <StatCard testId="kpi-success" label="Success Rate" tone="ok" value={formatPercent(metrics.successRate)} />
      <StatCard testId="kpi-duration" label="Avg Duration" tone="neutral" value={avg ? formatDuration(avg) : "—"} />
      <StatCard testId="kpi-cpu" label="Load per CPU (now)" tone="warn" value={formatPercent(cpuLoadRatio(metrics.load1, metrics.cpuCount))} />
    </div>
  );
}
