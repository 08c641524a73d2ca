import { MetricsOverview } from "@/features/metrics/components/metrics-overview";
import { useTitle } from "@/lib/use-title";

export default function MetricsPage() {
  useTitle("Metrics");
  return <MetricsOverview />;
}
