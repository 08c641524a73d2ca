import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@/gen/hodei/job_pb";
import { fieldOfMessage } from "@/lib/errors";
import { nonEmptyLines, parseKeyValueLines } from "@/lib/key-value";
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
};

/**
 * The QueueJob request for the form.  Validation is the server's: whatever
 * it refuses comes back as a message naming the field.
 */
export function toQueueJobRequest(v: JobFormValues): QueueJobInput {
  const seconds = Number(v.timeout);
  if (v.timeout.trim() !== "" && !Number.isFinite(seconds)) throw new Error("timeout: must be a number of seconds");
  return {
    jobDefinition: {
      name: v.name.trim(),
      command: v.command.trim(),
      arguments: nonEmptyLines(v.arguments),
      environment: parseKeyValueLines(v.environment),
      secretEnvironment: parseKeyValueLines(v.secretEnvironment),
      priority: v.priority,
      timeout: v.timeout.trim() === "" ? undefined : durationFromMs(Math.round(seconds * 1000)),
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
};

/**
 * Which form field a server message is about: "command: must not be empty",
 * "job_definition.environment[1X]: ...", "env[2]: ..." → the field, or null.
 */
export function fieldOfServerMessage(message: string): JobFormField | null {
  return fieldOfMessage(message, FIELD_ALIASES);
}
