import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { ProviderSchema, ProviderService, type CreateProviderRequest } from "@/gen/hodei/provider_pb";
import { formFromProvider } from "../utils/provider-form";
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
    for (const name of [/^Azure VM/]) {
      expect(option(name)).toBeDisabled();
      expect(option(name)).toHaveTextContent("(not available in this build)");
    }
    for (const name of [/^Docker$/, /^Kubernetes/, /^Static pool/, /^Local processes$/, /^microVM/])
      expect(option(name)).toBeEnabled();

    const type = screen.getByLabelText("Type");
    await userEvent.selectOptions(type, "azure-vm");
    expect(type).not.toHaveValue("azure-vm");
    await userEvent.type(screen.getByLabelText(/^Name/), "k8s");
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
    await userEvent.type(screen.getByLabelText(/^Name/), "edge");
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
    await userEvent.type(screen.getByLabelText(/^Name/), "edge");
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
    await userEvent.type(screen.getByLabelText(/^Name/), "edge");
    await userEvent.type(screen.getByLabelText("Labels"), "zone=eu");
    await userEvent.click(screen.getByRole("button", { name: "Create Provider" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalledWith("edge"));
    expect(received?.provider?.type).toBe("pool");
    expect(received?.provider?.labels).toEqual({ zone: "eu" });
  });

  it("edits a provider: type and name fixed, options and max workers sent, empty token kept", async () => {
    const updates: { name?: string; token?: string; optionsJson?: string; maxWorkers?: number }[] = [];
    const provider = create(ProviderSchema, {
      name: "dock", type: "docker", endpoint: "unix:///var/run/docker.sock",
      optionsJson: JSON.stringify({ image: "hodei-worker:1", idle_timeout: 30 }), capacity: { maxWorkers: 2 },
    });
    const onCreated = vi.fn();
    renderWithServer(<AddProviderForm initial={formFromProvider(provider)} onCreated={onCreated} />, (router) =>
      router.service(ProviderService, {
        updateProvider(req) {
          updates.push({ name: req.provider?.name, token: req.provider?.token, optionsJson: req.provider?.optionsJson, maxWorkers: req.provider?.capacity?.maxWorkers });
          return { provider };
        },
      }),
    );
    expect(screen.getByLabelText("Type")).toBeDisabled();
    expect(screen.getByLabelText(/^Name/)).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Worker image")).toHaveValue("hodei-worker:1");
    await userEvent.clear(screen.getByLabelText("Max workers"));
    await userEvent.type(screen.getByLabelText("Max workers"), "5");
    await userEvent.click(screen.getByLabelText(/Ephemeral/));
    await userEvent.click(screen.getByRole("button", { name: "Save Provider" }));
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    expect(updates[0].name).toBe("dock");
    expect(updates[0].token).toBe("");
    expect(updates[0].maxWorkers).toBe(5);
    // the options the form shows, and those it does not, kept
    expect(JSON.parse(updates[0].optionsJson ?? "{}")).toEqual({ idle_timeout: 30, ephemeral: true, image: "hodei-worker:1" });
  });
});
