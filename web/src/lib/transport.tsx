import { createContext, useContext, useMemo, type ReactNode } from "react";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { auth, CSRF_HEADER } from "./auth-state";
import { connection } from "./connection";
import { isUnreachable } from "./errors";

/**
 * Marks every call as the dashboard's own (hodeid refuses cookie-signed calls
 * without it: a cross-site form cannot add a header), and sends the browser
 * back to the sign-in form when its session is gone.
 */
const signedInCalls: Interceptor = (next) => async (req) => {
  req.header.set(CSRF_HEADER, "1");
  try {
    return await next(req);
  } catch (err) {
    if (err instanceof ConnectError && err.code === Code.Unauthenticated) auth.reportUnauthenticated();
    throw err;
  }
};

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
    interceptors: [signedInCalls, reportConnection],
    // The session cookie also goes to a hodeid on another origin (VITE_HODEI_URL
    // with hodeid's --dev-origin); same-origin calls send it anyway.
    fetch: (input, init) => globalThis.fetch(input, { ...init, credentials: "include" }),
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
