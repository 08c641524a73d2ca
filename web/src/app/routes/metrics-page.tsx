import { MetricsOverview } from "@/features/metrics/components/metrics-overview";

export default function MetricsPage() {
  return <MetricsOverview />;
}
