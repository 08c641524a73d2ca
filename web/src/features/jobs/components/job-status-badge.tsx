import type { JobState } from "@/gen/hodei/job_pb";
import { Badge } from "@/components/ui/badge";
import { isActive, stateView } from "../utils/job-state";

/** The job's state; active states pulse. */
export function JobStatusBadge({ state }: { state: JobState }) {
  const { label, tone } = stateView(state);
  return (
    <Badge tone={tone} pulse={isActive(state) && tone === "accent"}>
      <span data-testid="job-state">{label}</span>
    </Badge>
  );
}
