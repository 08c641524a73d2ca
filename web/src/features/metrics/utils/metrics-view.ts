import { JobState } from "@/gen/hodei/job_pb";
import type { StateCount } from "@/gen/hodei/metrics_pb";
import { num } from "@/lib/format";

export function countOf(counts: readonly StateCount[], ...states: JobState[]): number {
  return counts.reduce((sum, c) => (states.includes(c.state) ? sum + num(c.count) : sum), 0);
}

/** CPU load as a share of the machine: load1 / CPUs (can exceed 1). */
export function cpuLoadRatio(load1: number, cpus: number): number {
  return cpus > 0 ? load1 / cpus : load1;
}

export const STATE_SLICES = [
  { name: "Succeeded", states: [JobState.SUCCEEDED], color: "#35c27c" },
  { name: "Failed", states: [JobState.FAILED, JobState.TIMED_OUT], color: "#f0544f" },
  { name: "Running", states: [JobState.ASSIGNED, JobState.RUNNING], color: "#4f8cff" },
  { name: "Queued", states: [JobState.QUEUED], color: "#8a94a3" },
  { name: "Cancelled", states: [JobState.CANCELLED], color: "#f0c341" },
] as const;

/** Pie slices by state group, leaving out empty ones. */
export function stateSlices(counts: readonly StateCount[]) {
  return STATE_SLICES.map((s) => ({ name: s.name, color: s.color, value: countOf(counts, ...s.states) })).filter(
    (s) => s.value > 0,
  );
}
