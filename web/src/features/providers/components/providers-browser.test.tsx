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

  it("follows the pages of a list too large for one message", async () => {
    const tokens: string[] = [];
    renderWithServer(<ProvidersBrowser />, (router) => {
      router.service(ProviderService, {
        listProviders(req) {
          tokens.push(req.pageToken);
          return req.pageToken === ""
            ? { providers: [{ name: "wide-1", type: "pool", status: ProviderStatus.ACTIVE }], nextPageToken: "wide-1" }
            : { providers: [{ name: "wide-2", type: "pool", status: ProviderStatus.ACTIVE }] };
        },
      });
      router.service(MetricsService, { async *watchMetrics() { await new Promise(() => {}); } });
    });
    expect(await screen.findByText("wide-2")).toBeInTheDocument();
    expect(screen.getByText("wide-1")).toBeInTheDocument();
    expect(tokens).toEqual(["", "wide-1"]);
  });
});
