import { useEffect, useState, type ReactNode } from "react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import type { Transport } from "@connectrpc/connect";
import { connection } from "@/lib/connection";
import { createHodeiTransport, TransportProvider } from "@/lib/transport";
import { createQueryClient } from "./query-client";

/** Everything the features need: the gRPC-Web transport and the query cache. */
export function AppProviders({ children, transport, queryClient }: {
  children: ReactNode;
  transport?: Transport;
  queryClient?: QueryClient;
}) {
  const [client] = useState(() => queryClient ?? createQueryClient());
  const [tx] = useState(() => transport ?? createHodeiTransport());
  useRefetchOnReconnect(client);
  return (
    <TransportProvider transport={tx}>
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </TransportProvider>
  );
}

/** When hodeid comes back, every view refreshes what it shows. */
function useRefetchOnReconnect(client: QueryClient): void {
  useEffect(() => {
    let previous = connection.get();
    return connection.subscribe(() => {
      const now = connection.get();
      if (previous === "offline" && now === "online") void client.invalidateQueries();
      previous = now;
    });
  }, [client]);
}
