import { parseKeyValueLines } from "@/lib/key-value";
import type { ProviderSpecInput } from "../hooks/use-provider-mutations";

/**
 * The provider types of the spec.  `available`: hodeid registers this type
 * (lib/provider.c: pool, local; tools/hodeid: docker, kubernetes); CreateProvider refuses
 * the others ("type: unknown provider type ..."), so the form offers them
 * disabled.  The API has no call listing the types, hence this list.
 */
export const PROVIDER_TYPES = [
  { value: "docker", label: "Docker", available: true },
  { value: "pool", label: "Static pool (hodei-worker agents)", available: true },
  { value: "local", label: "Local processes", available: true },
  { value: "kubernetes", label: "Kubernetes (K8s)", available: true },
  { value: "azure-vm", label: "Azure VM", available: false },
  { value: "firecracker", label: "Firecracker", available: false },
] as const;

export const UNAVAILABLE_NOTE = "not available in this build";

export function isAvailableType(type: string): boolean {
  return PROVIDER_TYPES.some((t) => t.value === type && t.available);
}

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
  if (!isAvailableType(v.type)) throw new Error(`type: '${v.type}' is ${UNAVAILABLE_NOTE}`);
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
