import { Link } from "react-router-dom";
import type { Provider } from "@/gen/hodei/provider_pb";
import { formatNumber, num } from "@/lib/format";
import { HealthScore } from "./health-score";
import { ProviderStatusBadge } from "./provider-status-badge";
import "./providers.css";

export function ProviderTable({ providers }: { providers: readonly Provider[] }) {
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          <th>Status</th>
          <th>Current Jobs</th>
          <th>Health Score</th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => (
          <tr key={p.name} data-testid="provider-row" data-provider={p.name}>
            <td data-label="Name"><Link to={`/providers/${encodeURIComponent(p.name)}`}>{p.name}</Link></td>
            <td data-label="Type">{p.type}</td>
            <td data-label="Status"><ProviderStatusBadge status={p.status} /></td>
            <td data-label="Current Jobs">{formatNumber(num(p.currentJobs))}</td>
            <td data-label="Health Score"><HealthScore score={p.healthScore} status={p.status} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
