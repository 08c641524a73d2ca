import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MetricsService } from "@/gen/hodei/metrics_pb";
import { ProviderService, ProviderStatus, type ListProvidersRequest } from "@/gen/hodei/provider_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { ProvidersBrowser } from "./providers-browser";

describe("ProvidersBrowser", () => {
  it("filters on the server and refreshes when the metrics stream reports a status change", async () => {
    const requests: ListProvidersRequest[] = [];
    let status = ProviderStatus.ACTIVE;
    let release: () => void = () => {};
    const changed = new Promise<void>((r) => (release = r));
    renderWithServer(<ProvidersBrowser />, (router) => {
      router.service(ProviderService, {
        listProviders(req) {
          requests.push(req);
          return { providers: [{ name: "edge", type: "pool", status, healthScore: status === ProviderStatus.ACTIVE ? 100 : 20 }] };
        },
      });
      router.service(MetricsService, {
        async *watchMetrics() {
          yield { metrics: { providers: [{ name: "edge", status: ProviderStatus.ACTIVE }] } };
          await changed;
          status = ProviderStatus.UNHEALTHY;
          yield { metrics: { providers: [{ name: "edge", status: ProviderStatus.UNHEALTHY }] } };
          await new Promise(() => {});
        },
      });
    });
    expect(await screen.findByTestId("provider-status")).toHaveTextContent("Active");
    release();
    await waitFor(() => expect(screen.getByTestId("provider-status")).toHaveTextContent("Unhealthy"));

    await userEvent.click(screen.getByRole("button", { name: "Unhealthy" }));
    await waitFor(() => expect(requests.at(-1)?.statuses).toEqual([ProviderStatus.UNHEALTHY, ProviderStatus.OFFLINE]));
  });
});
