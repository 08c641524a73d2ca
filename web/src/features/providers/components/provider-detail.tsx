import { useState } from "react";
import { Breakable } from "@/components/ui/breakable";
import { Card } from "@/components/ui/card";
import { DefinitionList } from "@/components/ui/definition-list";
import { ErrorState, Loading } from "@/components/ui/states";
import { errorMessage, isNotFound } from "@/lib/errors";
import { formatBytes, formatNumber, formatTime, num } from "@/lib/format";
import { tsMs } from "@/lib/proto-time";
import { useProviderUpdates } from "../hooks/use-provider-updates";
import { useProvider } from "../hooks/use-providers";
import { maskedJson } from "../utils/mask-secrets";
import { formFromProvider } from "../utils/provider-form";
import { AddProviderForm } from "./add-provider-form";
import { HealthLog } from "./health-log";
import { HealthScore } from "./health-score";
import { ProviderActions } from "./provider-actions";
import { ProviderStatusBadge } from "./provider-status-badge";
import "./providers.css";

export function ProviderDetail({ name }: { name: string }) {
  const query = useProvider(name);
  const [editing, setEditing] = useState(false);
  useProviderUpdates();
  if (query.isPending) return <Loading label="Loading provider…" />;
  if (query.isError && !query.data) {
    const message = isNotFound(query.error) ? `Provider ${name} does not exist.` : errorMessage(query.error);
    return <ErrorState message={message} onRetry={() => void query.refetch()} />;
  }
  const p = query.data;
  if (!p) return <ErrorState message="The server sent no provider." />;
  const cap = p.capacity;
  const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(", ");
  return (
    <div data-testid="provider-detail">
      <header className="job-header">
        <div className="job-header__title">
          <h1>{p.name}</h1>
          <span className="job-status-indicator">
            <ProviderStatusBadge status={p.status} />
            <span>{p.type}</span>
            <HealthScore score={p.healthScore} status={p.status} />
          </span>
          {p.statusMessage && <span className="health__muted">{p.statusMessage}</span>}
        </div>
        <ProviderActions provider={p} onEdit={() => setEditing(true)} />
      </header>
      {editing && (
        <Card title={`Edit ${p.name}`}>
          <AddProviderForm initial={formFromProvider(p)} onCreated={() => setEditing(false)} />
        </Card>
      )}
      <div className="provider-grid">
        <Card title="Configuration">
          <DefinitionList
            items={[
              ["Endpoint", p.endpoint ? <Breakable text={p.endpoint} /> : "—"],
              ["API token", p.hasToken ? "set (hidden)" : "none"],
              ["Labels", labels || "—"],
              ["Max workers", cap?.maxWorkers ? String(cap.maxWorkers) : "type default"],
              ["Current jobs", formatNumber(num(p.currentJobs))],
              ["Workers", formatNumber(num(p.workers))],
              ["Created", formatTime(tsMs(p.createdAt))],
              ["Updated", formatTime(tsMs(p.updatedAt))],
            ]}
          />
        </Card>
        <Card title="Capabilities">
          <DefinitionList
            items={[
              ["CPU", cap?.maxVcpus ? `${cap.maxVcpus} vCPUs` : "unlimited"],
              ["Memory", cap?.maxMemoryBytes ? formatBytes(num(cap.maxMemoryBytes)) : "unlimited"],
              ["GPU", cap?.gpu ? "yes" : "no"],
            ]}
          />
        </Card>
        <HealthLog name={p.name} />
        <Card title="Raw Config">
          <pre className="raw-json" data-testid="raw-config">{maskedJson(p.configJson)}</pre>
        </Card>
      </div>
    </div>
  );
}
