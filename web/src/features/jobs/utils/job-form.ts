import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@/gen/hodei/job_pb";
import { fieldOfMessage } from "@/lib/errors";
import { ENV_NAME, FormError, nonEmptyLines, parseKeyValueLines } from "@/lib/key-value";
import type { QueueJobInput } from "../hooks/use-job-mutations";

export interface JobFormValues {
  name: string;
  command: string;
  /** One argument per line (kept verbatim: spaces are part of it). */
  arguments: string;
  /** One NAME=value per line. */
  environment: string;
  /** One NAME=value per line: stored encrypted, never shown, masked in the log. */
  secretEnvironment: string;
  priority: Priority;
  /** Seconds; empty means no timeout. */
  timeout: string;
  /** One key=value per line. */
  labels: string;
  /** Automatic retries after a failure; empty means 0. */
  retries: string;
  /** "2", "0.5" or "500m"; empty means no request. */
  cpu: string;
  /** "512M", "2G"; empty means no request. */
  memory: string;
  workingDirectory: string;
  /** Only run on this provider; empty means any. */
  provider: string;
}

export type JobFormField = keyof JobFormValues;

export const EMPTY_JOB_FORM: JobFormValues = {
  name: "",
  command: "",
  arguments: "",
  environment: "",
  secretEnvironment: "",
  priority: Priority.NORMAL,
  timeout: "",
  labels: "",
  retries: "",
  cpu: "",
  memory: "",
  workingDirectory: "",
  provider: "",
};

/** The form's labels, used in messages instead of the API's field paths. */
export const JOB_FIELD_LABELS: Record<JobFormField, string> = {
  name: "Job Name",
  command: "Command",
  arguments: "Arguments",
  environment: "Environment",
  secretEnvironment: "Secret environment",
  priority: "Priority",
  timeout: "Timeout",
  labels: "Labels",
  retries: "Retries",
  cpu: "CPU",
  memory: "Memory",
  workingDirectory: "Working directory",
  provider: "Provider",
};

/** "2" (cores), "0.5", "500m" (millicores) → millicores, as the CLI's --cpu. */
export function parseCpu(text: string): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(t);
  const millis = m ? (m[2] ? Number(m[1]) : Number(m[1]) * 1000) : NaN;
  if (!Number.isInteger(Math.round(millis)) || millis <= 0 || millis > 1_000_000)
    throw new FormError("cpu", `CPU: expected cores (2, 0.5) or millicores (500m), not "${t}"`);
  return Math.round(millis);
}

/** "512", "512K", "512M", "2G", "1.5Gi" (powers of 1024) → bytes, as the CLI's --memory. */
export function parseMemory(text: string): bigint {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(t);
  const scale = m ? 1024 ** "_KMGT".indexOf((m[2] || "_").toUpperCase()) : NaN;
  const bytes = m ? Number(m[1]) * (m[2] ? scale : 1) : NaN;
  if (!Number.isFinite(bytes) || bytes <= 0 || bytes > 2 ** 50)
    throw new FormError("memory", `Memory: expected a size such as 512M or 2G, not "${t}"`);
  return BigInt(Math.round(bytes));
}

function parseRetries(text: string): number {
  const t = text.trim();
  if (t === "") return 0;
  const n = Number(t);
  if (!/^\d+$/.test(t) || n > 100) throw new FormError("retries", `Retries: expected a number from 0 to 100, not "${t}"`);
  return n;
}

/**
 * The QueueJob request for the form.  What the dashboard can check itself
 * is refused here with a FormError naming the field; the rest is the
 * server's, whose message names the field too.
 */
export function toQueueJobRequest(v: JobFormValues): QueueJobInput {
  const seconds = Number(v.timeout);
  if (v.timeout.trim() !== "" && (!Number.isFinite(seconds) || seconds <= 0))
    throw new FormError("timeout", "Timeout: must be a number of seconds");
  const cpu = v.cpu.trim() === "" ? 0 : parseCpu(v.cpu);
  const memory = v.memory.trim() === "" ? 0n : parseMemory(v.memory);
  return {
    jobDefinition: {
      name: v.name.trim(),
      command: v.command.trim(),
      arguments: nonEmptyLines(v.arguments),
      environment: parseKeyValueLines(v.environment, "environment", "Environment", ENV_NAME),
      secretEnvironment: parseKeyValueLines(v.secretEnvironment, "secretEnvironment", "Secret environment", ENV_NAME),
      priority: v.priority,
      timeout: v.timeout.trim() === "" ? undefined : durationFromMs(Math.round(seconds * 1000)),
      labels: parseKeyValueLines(v.labels, "labels", "Labels"),
      maxRetries: parseRetries(v.retries),
      resources: cpu || memory ? { cpuMillis: cpu, memoryBytes: memory } : undefined,
      workingDirectory: v.workingDirectory.trim(),
      provider: v.provider.trim(),
    },
    queuedBy: "dashboard",
  };
}

const FIELD_ALIASES: Record<string, JobFormField> = {
  name: "name",
  command: "command",
  args: "arguments",
  arguments: "arguments",
  env: "environment",
  environment: "environment",
  secret_env: "secretEnvironment",
  secret_environment: "secretEnvironment",
  priority: "priority",
  timeout: "timeout",
  timeout_ms: "timeout",
  labels: "labels",
  max_retries: "retries",
  retries: "retries",
  "resources.cpu_millis": "cpu",
  cpu_millis: "cpu",
  "resources.memory_bytes": "memory",
  memory_bytes: "memory",
  working_directory: "workingDirectory",
  workdir: "workingDirectory",
  provider: "provider",
};

/**
 * Which form field a server message is about: "command: must not be empty",
 * "job_definition.environment[1X]: ...", "env[2]: ..." → the field, or null.
 */
export function fieldOfServerMessage(message: string): JobFormField | null {
  return fieldOfMessage(message, FIELD_ALIASES);
}

/**
 * A server message in the form's words: "job_definition.command: must not be
 * empty" → "Command: must not be empty" (the API's path replaced by the label).
 */
export function humanMessage(message: string): string {
  const field = fieldOfServerMessage(message);
  if (!field) return message;
  const colon = message.indexOf(":");
  const head = message.slice(0, colon);
  const index = /\[(.*)\]$/.exec(head);
  return `${JOB_FIELD_LABELS[field]}${index ? ` (${index[1]})` : ""}${message.slice(colon)}`;
}
