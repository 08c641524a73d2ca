import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Code, ConnectError } from "@connectrpc/connect";
import { ProviderService, type CreateProviderRequest } from "@/gen/hodei/provider_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { AddProviderForm } from "./add-provider-form";

function option(name: RegExp): HTMLOptionElement {
  return screen.getByRole("option", { name }) as HTMLOptionElement;
}

describe("AddProviderForm", () => {
  it("offers the types hodeid lacks disabled, so they cannot be submitted", async () => {
    const requests: CreateProviderRequest[] = [];
    renderWithServer(<AddProviderForm onCreated={() => {}} />, (router) =>
      router.service(ProviderService, {
        createProvider(req) {
          requests.push(req);
          return { provider: { name: req.provider?.name } };
        },
      }),
    );
    for (const name of [/^Azure VM/, /^Firecracker/]) {
      expect(option(name)).toBeDisabled();
      expect(option(name)).toHaveTextContent("(not available in this build)");
    }
    for (const name of [/^Docker$/, /^Kubernetes/, /^Static pool/, /^Local processes$/])
      expect(option(name)).toBeEnabled();

    const type = screen.getByLabelText("Type");
    await userEvent.selectOptions(type, "firecracker");
    expect(type).not.toHaveValue("firecracker");
    await userEvent.type(screen.getByLabelText("Name"), "k8s");
    await userEvent.click(screen.getByRole("button", { name: "Create Provider" }));
    await waitFor(() => expect(requests.map((r) => r.provider?.type)).toEqual(["docker"]));
  });

  it("shows the server's message when it refuses the provider", async () => {
    const onCreated = vi.fn();
    renderWithServer(<AddProviderForm onCreated={onCreated} />, (router) =>
      router.service(ProviderService, {
        createProvider() {
          throw new ConnectError("provider.type: unknown provider type 'pool' (available: docker, local)", Code.InvalidArgument);
        },
      }),
    );
    await userEvent.selectOptions(screen.getByLabelText("Type"), "pool");
    await userEvent.type(screen.getByLabelText("Name"), "edge");
    await userEvent.click(screen.getByRole("button", { name: "Create Provider" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("provider.type: unknown provider type 'pool' (available: docker, local)");
    expect(screen.getByLabelText("Type")).toHaveAttribute("aria-invalid", "true");
    expect(onCreated).not.toHaveBeenCalled();
  });

  it("shows a message that names no field above the form", async () => {
    renderWithServer(<AddProviderForm onCreated={() => {}} />, (router) =>
      router.service(ProviderService, {
        createProvider() {
          throw new ConnectError("provider store is read-only", Code.FailedPrecondition);
        },
      }),
    );
    await userEvent.type(screen.getByLabelText("Name"), "edge");
    await userEvent.click(screen.getByRole("button", { name: "Create Provider" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("provider store is read-only");
  });

  it("sends the provider and reports its name", async () => {
    let received: CreateProviderRequest | undefined;
    const onCreated = vi.fn();
    renderWithServer(<AddProviderForm onCreated={onCreated} />, (router) =>
      router.service(ProviderService, {
        createProvider(req) {
          received = req;
          return { provider: { name: "edge", type: "pool" } };
        },
      }),
    );
    await userEvent.selectOptions(screen.getByLabelText("Type"), "pool");
    await userEvent.type(screen.getByLabelText("Name"), "edge");
    await userEvent.type(screen.getByLabelText("Labels"), "zone=eu");
    await userEvent.click(screen.getByRole("button", { name: "Create Provider" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith("edge"));
    expect(received?.provider?.type).toBe("pool");
    expect(received?.provider?.labels).toEqual({ zone: "eu" });
  });
});
