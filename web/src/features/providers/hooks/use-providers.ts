import { useQuery } from "@tanstack/react-query";
import { providerKeys, statusesFor, useProvidersClient, type ProviderFilter } from "../api/providers-api";

export function useProviders(filter: ProviderFilter) {
  const client = useProvidersClient();
  return useQuery({
    queryKey: providerKeys.list(filter),
    // The server pages the list only when it would not fit in one message.
    queryFn: async ({ signal }) => {
      const statuses = statusesFor(filter);
      let page = await client.listProviders({ statuses }, { signal });
      const providers = [...page.providers];
      while (page.nextPageToken !== "") {
        page = await client.listProviders({ statuses, pageToken: page.nextPageToken }, { signal });
        providers.push(...page.providers);
      }
      return providers;
    },
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
