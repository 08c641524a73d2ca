import { createContext, useContext, useMemo, type ReactNode } from "react";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { connection } from "./connection";
import { isUnreachable } from "./errors";

/** Reports every unary call's outcome to the connection store. */
const reportConnection: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    connection.reportSuccess();
    return res;
  } catch (err) {
    if (isUnreachable(err)) connection.reportUnreachable();
    else connection.reportSuccess();
    throw err;
  }
};

/**
 * gRPC-Web (binary) to hodeid's HTTP port.  The dashboard is served from that
 * port (or proxied to it by the dev server), so the default is this origin;
 * VITE_HODEI_URL points it elsewhere.
 */
export function createHodeiTransport(baseUrl?: string): Transport {
  return createGrpcWebTransport({
    baseUrl: baseUrl ?? import.meta.env.VITE_HODEI_URL ?? window.location.origin,
    useBinaryFormat: true,
    interceptors: [reportConnection],
  });
}

const TransportContext = createContext<Transport | null>(null);

export function TransportProvider({ transport, children }: { transport: Transport; children: ReactNode }) {
  return <TransportContext.Provider value={transport}>{children}</TransportContext.Provider>;
}

/** A typed client for one service, bound to the app's transport. */
export function useClient<S extends DescService>(service: S): Client<S> {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error("useClient outside TransportProvider");
  return useMemo(() => createClient(service, transport), [service, transport]);
}
