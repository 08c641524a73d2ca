import { RecentExecutions } from "@/features/jobs/components/recent-executions";
import { DashboardSummary } from "@/features/metrics/components/dashboard-summary";
import { useTitle } from "@/lib/use-title";

export function DashboardPage() {
  useTitle("Dashboard");
  return (
    <div className="dashboard-grid">
      <h1>Dashboard</h1>
      <DashboardSummary />
      <RecentExecutions />
    </div>
  );
}
