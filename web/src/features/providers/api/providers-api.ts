import { ProviderService, ProviderStatus } from "@/gen/hodei/provider_pb";
import { useClient } from "@/lib/transport";

export function useProvidersClient() {
  return useClient(ProviderService);
}

export type ProviderFilter = "all" | "active" | "unhealthy";

export const PROVIDER_FILTERS = [
  { value: "all", label: "All" },
  { value: "active", label: "Active" },
  { value: "unhealthy", label: "Unhealthy" },
] as const satisfies readonly { value: ProviderFilter; label: string }[];

/** Statuses each filter asks the server for; "Unhealthy" means "has problems". */
export function statusesFor(filter: ProviderFilter): ProviderStatus[] {
  if (filter === "active") return [ProviderStatus.ACTIVE];
  if (filter === "unhealthy") return [ProviderStatus.UNHEALTHY, ProviderStatus.OFFLINE];
  return [];
}

export const providerKeys = {
  all: ["providers"] as const,
  list: (filter: ProviderFilter) => ["providers", "list", filter] as const,
  detail: (name: string) => ["providers", "detail", name] as const,
  health: (name: string) => ["providers", "health", name] as const,
};
