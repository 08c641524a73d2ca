import type { Job } from "@/gen/hodei/job_pb";
import { isActive, isRetryable } from "../utils/job-state";
import { CancelJobButton } from "./cancel-job-button";
import { JobStatusBadge } from "./job-status-badge";
import { RetryJobButton } from "./retry-job-button";

export function JobHeader({ job }: { job: Job }) {
  return (
    <header className="job-header">
      <div className="job-header__title">
        <h1>{job.definition?.name || job.definition?.command || job.id}</h1>
        <span className="job-status-indicator">
          <JobStatusBadge state={job.state} />
          <span className="mono">{job.id}</span>
          {job.attempt > 1 && <span>attempt {job.attempt}</span>}
        </span>
      </div>
      <div className="job-header__actions">
        {isActive(job.state) && <CancelJobButton jobId={job.id} />}
        {isRetryable(job.state) && <RetryJobButton jobId={job.id} />}
      </div>
    </header>
  );
}
