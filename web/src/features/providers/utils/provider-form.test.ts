import { EMPTY_PROVIDER_FORM, isAvailableType, toProviderSpec } from "./provider-form";

describe("provider form", () => {
  it("builds the spec with capacity in bytes", () => {
    const spec = toProviderSpec({
      ...EMPTY_PROVIDER_FORM,
      type: "docker",
      name: " docker-prod ",
      endpoint: "unix:///var/run/docker.sock",
      token: "s3cret",
      labels: "zone=eu\ngpu=a100",
      maxMemoryGiB: "2",
      maxVcpus: "8",
      gpu: true,
    });
    expect(spec.name).toBe("docker-prod");
    expect(spec.labels).toEqual({ zone: "eu", gpu: "a100" });
    expect(spec.capacity).toEqual({ maxMemoryBytes: 2n * 1024n ** 3n, maxVcpus: 8, gpu: true, maxWorkers: 0 });
  });
  it("refuses the types hodeid does not have", () => {
    expect(["docker", "pool", "local"].filter(isAvailableType)).toEqual(["docker", "pool", "local"]);
    expect(isAvailableType("kubernetes")).toBe(true);
    expect(() => toProviderSpec({ ...EMPTY_PROVIDER_FORM, type: "firecracker" })).toThrow(/type: .*not available/);
  });
  it("refuses capacities that are not numbers", () => {
    expect(() => toProviderSpec({ ...EMPTY_PROVIDER_FORM, maxVcpus: "many" })).toThrow(/vCPUs/);
  });
});
