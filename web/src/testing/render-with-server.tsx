import type { ReactElement } from "react";
import { render } from "@testing-library/react";
import { createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { QueryClient } from "@tanstack/react-query";
import { MemoryRouter } from "react-router-dom";
import { AppProviders } from "@/app/providers";

/**
 * Renders `ui` against an in-memory server: `routes` registers the service
 * implementations the test needs (anything else answers UNIMPLEMENTED);
 * `initialPath` is the URL the router starts at (query string included).
 */
export function renderWithServer(ui: ReactElement, routes: (router: ConnectRouter) => void, initialPath = "/") {
  const transport = createRouterTransport(routes);
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return render(
    <AppProviders transport={transport} queryClient={queryClient}>
      <MemoryRouter initialEntries={[initialPath]}>{ui}</MemoryRouter>
    </AppProviders>,
  );
}
