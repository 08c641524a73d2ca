import { JobState, type Job } from "@/gen/hodei/job_pb";
import type { Tone } from "@/components/ui/stat-card";
import { tsMs } from "@/lib/proto-time";

export type JobFilter = "all" | "queued" | "running" | "failed" | "completed" | "cancelled";

export const JOB_FILTERS = [
  { value: "all", label: "All Jobs" },
  { value: "queued", label: "Queued" },
  { value: "running", label: "Running" },
  { value: "failed", label: "Failed" },
  { value: "completed", label: "Completed" },
  { value: "cancelled", label: "Cancelled" },
] as const satisfies readonly { value: JobFilter; label: string }[];

/** A filter named in a URL (?state=failed), or "all" for anything else. */
export function parseJobFilter(text: string | null): JobFilter {
  return JOB_FILTERS.find((f) => f.value === text)?.value ?? "all";
}

/** The states each filter asks the server for (empty: every state). */
export function statesFor(filter: JobFilter): JobState[] {
  switch (filter) {
    case "queued":
      return [JobState.QUEUED];
    case "running":
      return [JobState.ASSIGNED, JobState.RUNNING];
    case "cancelled":
      return [JobState.CANCELLED];
    case "failed":
      return [JobState.FAILED, JobState.TIMED_OUT];
    case "completed":
      return [JobState.SUCCEEDED];
    default:
      return [];
  }
}

const STATE_VIEW: Record<JobState, { label: string; tone: Tone }> = {
  [JobState.UNSPECIFIED]: { label: "Unknown", tone: "neutral" },
  [JobState.QUEUED]: { label: "Queued", tone: "neutral" },
  [JobState.ASSIGNED]: { label: "Starting", tone: "accent" },
  [JobState.RUNNING]: { label: "Running", tone: "accent" },
  [JobState.SUCCEEDED]: { label: "Success", tone: "ok" },
  [JobState.FAILED]: { label: "Failed", tone: "err" },
  [JobState.CANCELLED]: { label: "Cancelled", tone: "warn" },
  [JobState.TIMED_OUT]: { label: "Timed out", tone: "err" },
};

export function stateView(state: JobState): { label: string; tone: Tone } {
  return STATE_VIEW[state] ?? STATE_VIEW[JobState.UNSPECIFIED];
}

export function isActive(state: JobState): boolean {
  return state === JobState.QUEUED || state === JobState.ASSIGNED || state === JobState.RUNNING;
}

export function isRetryable(state: JobState): boolean {
  return state === JobState.FAILED || state === JobState.TIMED_OUT || state === JobState.CANCELLED;
}

/** Run time: start to finish, or start to `now` while it runs; -1 if never started. */
export function jobDurationMs(job: Job, now: number): number {
  const started = tsMs(job.startedAt);
  if (!started) return -1;
  const finished = tsMs(job.finishedAt);
  return (finished && finished >= started ? finished : now) - started;
}

/** The command line as a user would type it (quoted where needed). */
export function commandLine(job: Job): string {
  const def = job.definition;
  if (!def) return "";
  return [def.command, ...def.arguments].map(shellQuote).join(" ");
}

function shellQuote(word: string): string {
  if (word !== "" && /^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
