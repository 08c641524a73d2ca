import { RecentExecutions } from "@/features/jobs/components/recent-executions";
import { DashboardSummary } from "@/features/metrics/components/dashboard-summary";

export function DashboardPage() {
  return (
    <div className="dashboard-grid">
      <h1>Dashboard</h1>
      <DashboardSummary />
      <RecentExecutions />
    </div>
  );
}
