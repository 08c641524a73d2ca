import { parseKeyValueLines } from "@/lib/key-value";
import type { Provider } from "@/gen/hodei/provider_pb";
import type { ProviderSpecInput } from "../hooks/use-provider-mutations";

/**
 * The provider types of the spec.  `available`: hodeid registers this type
 * (lib/provider.c: pool, local; tools/hodeid: docker, kubernetes, microvm); CreateProvider refuses
 * the others ("type: unknown provider type ..."), so the form offers them
 * disabled.  The API has no call listing the types, hence this list.
 */
export const PROVIDER_TYPES = [
  { value: "docker", label: "Docker", available: true },
  { value: "pool", label: "Static pool (hodei-worker agents)", available: true },
  { value: "local", label: "Local processes", available: true },
  { value: "microvm", label: "microVM (QEMU microvm or Firecracker)", available: true },
  { value: "kubernetes", label: "Kubernetes (K8s)", available: true },
  { value: "azure-vm", label: "Azure VM", available: false },
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
  /** at most this many workers at once; empty = the type's default */
  maxWorkers: string;
  /** docker: one job per container, then it is removed */
  ephemeral: boolean;
  /** docker: the worker image; empty = the built-in default */
  image: string;
  /** docker: the network the workers join; empty = hodei-workers */
  network: string;
  /** options of the provider the form does not show, kept as they are on edit */
  otherOptions: Record<string, unknown>;
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
  maxWorkers: "",
  ephemeral: false,
  image: "",
  network: "",
  otherOptions: {},
};

/** The options each type's form shows (the docker provider's own names). */
export function typeOptions(type: string): { ephemeral: boolean; image: boolean; network: boolean } {
  const docker = type === "docker";
  return { ephemeral: docker, image: docker, network: docker };
}

/** The form filled from an existing provider, for Edit (the token is never sent back: empty keeps it). */
export function formFromProvider(p: Provider): ProviderFormValues {
  let options: Record<string, unknown> = {};
  try {
    options = p.optionsJson ? (JSON.parse(p.optionsJson) as Record<string, unknown>) : {};
  } catch {
    options = {};
  }
  const { ephemeral, image, network, ...otherOptions } = options;
  const cap = p.capacity;
  return {
    type: p.type,
    name: p.name,
    endpoint: p.endpoint,
    token: "",
    labels: Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join("\n"),
    maxMemoryGiB: cap?.maxMemoryBytes ? String(Number(cap.maxMemoryBytes) / 1024 ** 3) : "",
    maxVcpus: cap?.maxVcpus ? String(cap.maxVcpus) : "",
    gpu: Boolean(cap?.gpu),
    maxWorkers: cap?.maxWorkers ? String(cap.maxWorkers) : "",
    ephemeral: ephemeral === true,
    image: typeof image === "string" ? image : "",
    network: typeof network === "string" ? network : "",
    otherOptions,
  };
}

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
    labels: parseKeyValueLines(v.labels, "labels", "Labels"),
    capacity: {
      maxMemoryBytes: BigInt(Math.round(count(v.maxMemoryGiB, "max memory") * 1024 ** 3)),
      maxVcpus: Math.round(count(v.maxVcpus, "max vCPUs")),
      gpu: v.gpu,
      maxWorkers: Math.round(count(v.maxWorkers, "max workers")),
    },
    optionsJson: optionsJson(v),
  };
}

function optionsJson(v: ProviderFormValues): string {
  const shown = typeOptions(v.type);
  const options: Record<string, unknown> = { ...v.otherOptions };
  if (shown.ephemeral && v.ephemeral) options.ephemeral = true;
  if (shown.image && v.image.trim()) options.image = v.image.trim();
  if (shown.network && v.network.trim()) options.network = v.network.trim();
  return Object.keys(options).length ? JSON.stringify(options) : "";
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
  max_workers: "maxWorkers",
  "max workers": "maxWorkers",
  "options.image": "image",
  image: "image",
  "options.network": "network",
  network: "network",
  ephemeral: "ephemeral",
};
