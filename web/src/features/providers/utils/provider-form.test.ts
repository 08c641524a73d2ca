import { EMPTY_PROVIDER_FORM, toProviderSpec } from "./provider-form";

describe("provider form", () => {
  it("builds the spec with capacity in bytes", () => {
    const spec = toProviderSpec({
      ...EMPTY_PROVIDER_FORM,
      type: "kubernetes",
      name: " k8s-prod ",
      endpoint: "https://k8s.example:6443",
      token: "s3cret",
      labels: "zone=eu\ngpu=a100",
      maxMemoryGiB: "2",
      maxVcpus: "8",
      gpu: true,
    });
    expect(spec.name).toBe("k8s-prod");
    expect(spec.labels).toEqual({ zone: "eu", gpu: "a100" });
    expect(spec.capacity).toEqual({ maxMemoryBytes: 2n * 1024n ** 3n, maxVcpus: 8, gpu: true });
  });
  it("refuses capacities that are not numbers", () => {
    expect(() => toProviderSpec({ ...EMPTY_PROVIDER_FORM, maxVcpus: "many" })).toThrow(/vCPUs/);
  });
});
