import { JobState } from "@/gen/hodei/job_pb";
import type { AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { StatCard } from "@/components/ui/stat-card";
import { formatNumber, num } from "@/lib/format";
import { countOf } from "../utils/metrics-view";
import "./metrics.css";

/** Total Jobs, Running (animated while anything runs), Failed, Success. */
export function StatCards({ metrics }: { metrics: AggregatedMetrics }) {
  const running = num(metrics.runningJobs);
  const byState = metrics.jobsByState;
  return (
    <div className="stat-grid">
      <StatCard testId="stat-total" label="Total Jobs" tone="accent" value={formatNumber(num(metrics.totalJobs))} />
      <StatCard
        testId="stat-running"
        label="Running"
        tone="accent"
        value={
          <span className="running-value">
            <span className={running > 0 ? "running-pulse" : "running-pulse running-pulse--idle"} aria-hidden />
            {formatNumber(running)}
          </span>
        }
      />
      <StatCard testId="stat-failed" label="Failed" tone="err" value={formatNumber(countOf(byState, JobState.FAILED, JobState.TIMED_OUT))} />
      <StatCard testId="stat-success" label="Success" tone="ok" value={formatNumber(countOf(byState, JobState.SUCCEEDED))} />
    </div>
  );
}
