import { useQuery } from "@tanstack/react-query";
import { providerKeys, statusesFor, useProvidersClient, type ProviderFilter } from "../api/providers-api";

export function useProviders(filter: ProviderFilter) {
  const client = useProvidersClient();
  return useQuery({
    queryKey: providerKeys.list(filter),
    queryFn: async ({ signal }) =>
      (await client.listProviders({ statuses: statusesFor(filter) }, { signal })).providers,
  });
}

export function useProvider(name: string) {
  const client = useProvidersClient();
  return useQuery({
    queryKey: providerKeys.detail(name),
    queryFn: async ({ signal }) => (await client.getProvider({ name }, { signal })).provider ?? null,
  });
}

export function useHealthLog(name: string) {
  const client = useProvidersClient();
  return useQuery({
    queryKey: providerKeys.health(name),
    queryFn: async ({ signal }) => (await client.getProviderHealthLog({ name, limit: 50 }, { signal })).entries,
  });
}
