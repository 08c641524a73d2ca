import { useState } from "react";
import { Segmented } from "@/components/ui/segmented";
import { Empty, ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { PROVIDER_FILTERS, type ProviderFilter } from "../api/providers-api";
import { useProviderUpdates } from "../hooks/use-provider-updates";
import { useProviders } from "../hooks/use-providers";
import { ProviderTable } from "./provider-table";

export function ProvidersBrowser() {
  const [filter, setFilter] = useState<ProviderFilter>("all");
  const query = useProviders(filter);
  useProviderUpdates();
  return (
    <>
      <div style={{ marginBottom: 12 }}>
        <Segmented label="Filter providers" options={PROVIDER_FILTERS} value={filter} onChange={setFilter} />
      </div>
      {query.isPending ? (
        <Loading label="Loading providers…" />
      ) : query.isError && !query.data ? (
        <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        <Empty>{filter === "all" ? "No providers registered. Add one with + Add Provider." : "No providers match."}</Empty>
      ) : (
        <ProviderTable providers={query.data} />
      )}
    </>
  );
}
