import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { create } from "@bufbuild/protobuf";
import { ProviderSchema, ProviderService, ProviderStatus } from "@/gen/hodei/provider_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { ProviderActions } from "./provider-actions";

describe("ProviderActions", () => {
  it("sends Maintenance and Mark Healthy at once, Shutdown only after confirmation", async () => {
    const calls: string[] = [];
    const provider = create(ProviderSchema, { name: "k8s", status: ProviderStatus.UNHEALTHY });
    renderWithServer(<ProviderActions provider={provider} />, (router) =>
      router.service(ProviderService, {
        setProviderMaintenance: (req) => (calls.push(`maintenance ${req.name}`), { provider }),
        markProviderHealthy: (req) => (calls.push(`healthy ${req.name}`), { provider }),
        shutdownProvider: (req) => (calls.push(`shutdown ${req.name}`), { provider }),
      }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Maintenance" }));
    await waitFor(() => expect(calls).toEqual(["maintenance k8s"]));
    await userEvent.click(screen.getByRole("button", { name: "Mark Healthy" }));
    await waitFor(() => expect(calls).toEqual(["maintenance k8s", "healthy k8s"]));
    await userEvent.click(screen.getByRole("button", { name: "Shutdown" }));
    expect(calls).toHaveLength(2);
    await userEvent.click(screen.getByRole("button", { name: "Shut down" }));
    await waitFor(() => expect(calls).toEqual(["maintenance k8s", "healthy k8s", "shutdown k8s"]));
  });

  it("deletes only after confirmation", async () => {
    const calls: string[] = [];
    const provider = create(ProviderSchema, { name: "old", status: ProviderStatus.OFFLINE });
    renderWithServer(<ProviderActions provider={provider} />, (router) =>
      router.service(ProviderService, { deleteProvider: (req) => (calls.push(`delete ${req.name}`), {}) }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(calls).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Delete provider" }));
    await waitFor(() => expect(calls).toEqual(["delete old"]));
  });
});
