import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ProviderSpecSchema } from "@/gen/hodei/provider_pb";
import { providerKeys, useProvidersClient } from "../api/providers-api";

export type ProviderAction = "healthy" | "maintenance" | "shutdown";

/** Mark Healthy / Maintenance / Shutdown; each is recorded in the health log. */
export function useProviderAction(name: string) {
  const client = useProvidersClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (action: ProviderAction) => {
      const req = { name, message: `${action} from dashboard` };
      if (action === "healthy") return (await client.markProviderHealthy(req)).provider;
      if (action === "maintenance") return (await client.setProviderMaintenance(req)).provider;
      return (await client.shutdownProvider(req)).provider;
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: providerKeys.all }),
  });
}

export type ProviderSpecInput = MessageInitShape<typeof ProviderSpecSchema>;

export function useCreateProvider() {
  const client = useProvidersClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (provider: ProviderSpecInput) => client.createProvider({ provider }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: providerKeys.all }),
  });
}

/** Save an edited provider (UpdateProvider: an empty token keeps the stored one). */
export function useUpdateProvider() {
  const client = useProvidersClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (provider: ProviderSpecInput) => client.updateProvider({ provider }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: providerKeys.all }),
  });
}

/** Delete a provider (the server refuses while it runs jobs). */
export function useDeleteProvider() {
  const client = useProvidersClient();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => client.deleteProvider({ name }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: providerKeys.all }),
  });
}
