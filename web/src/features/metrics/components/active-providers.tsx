import { Link } from "react-router-dom";
import type { AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { Empty } from "@/components/ui/states";
import { formatNumber, num } from "@/lib/format";
import { providerStatusView } from "@/lib/provider-status";
import "./metrics.css";

/** Each provider's status, health and load, as the metrics stream reports them. */
export function ActiveProviders({ metrics }: { metrics: AggregatedMetrics }) {
  return (
    <Card title="Active Providers" actions={<Link to="/providers">Manage</Link>}>
      {metrics.providers.length === 0 ? (
        <Empty>No providers.</Empty>
      ) : (
        <ul className="provider-summary" data-testid="active-providers">
          {metrics.providers.map((p) => {
            const view = providerStatusView(p.status);
            return (
              <li key={p.name}>
                <span>
                  <strong>{p.name}</strong> <span className="health__muted">{p.type}</span>
                </span>
                <span className="health__muted">
                  {formatNumber(num(p.currentJobs))} jobs · health {p.healthScore}
                </span>
                <Badge tone={view.tone}>{view.label}</Badge>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
