import { parseKeyValueLines } from "@/lib/key-value";
import type { ProviderSpecInput } from "../hooks/use-provider-mutations";

export const PROVIDER_TYPES = [
  { value: "docker", label: "Docker" },
  { value: "kubernetes", label: "Kubernetes (K8s)" },
  { value: "azure-vm", label: "Azure VM" },
  { value: "firecracker", label: "Firecracker" },
  { value: "pool", label: "Static pool (hodei-worker agents)" },
  { value: "local", label: "Local processes" },
] as const;

export interface ProviderFormValues {
  type: string;
  name: string;
  endpoint: string;
  token: string;
  labels: string;
  /** GiB; empty = unlimited */
  maxMemoryGiB: string;
  maxVcpus: string;
  gpu: boolean;
}

export const EMPTY_PROVIDER_FORM: ProviderFormValues = {
  type: "docker",
  name: "",
  endpoint: "",
  token: "",
  labels: "",
  maxMemoryGiB: "",
  maxVcpus: "",
  gpu: false,
};

function count(text: string, what: string): number {
  if (text.trim() === "") return 0;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: must be a positive number`);
  return n;
}

/** The CreateProvider spec for the form; the server validates the rest. */
export function toProviderSpec(v: ProviderFormValues): ProviderSpecInput {
  return {
    type: v.type,
    name: v.name.trim(),
    endpoint: v.endpoint.trim(),
    token: v.token,
    labels: parseKeyValueLines(v.labels),
    capacity: {
      maxMemoryBytes: BigInt(Math.round(count(v.maxMemoryGiB, "max memory") * 1024 ** 3)),
      maxVcpus: Math.round(count(v.maxVcpus, "max vCPUs")),
      gpu: v.gpu,
    },
  };
}

export type ProviderFormField = keyof ProviderFormValues;

export const PROVIDER_FIELD_ALIASES: Record<string, ProviderFormField> = {
  type: "type",
  name: "name",
  endpoint: "endpoint",
  token: "token",
  labels: "labels",
  max_memory_bytes: "maxMemoryGiB",
  "max memory": "maxMemoryGiB",
  max_vcpus: "maxVcpus",
  "max vCPUs": "maxVcpus",
  gpu: "gpu",
};
