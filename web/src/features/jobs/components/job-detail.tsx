import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { Job } from "@/gen/hodei/job_pb";
import { ErrorState, Loading } from "@/components/ui/states";
import { errorMessage, isNotFound } from "@/lib/errors";
import { useJob } from "../hooks/use-job";
import { JobHeader } from "./job-header";
import { JobHistory } from "./job-history";
import { JobOverview } from "./job-overview";
import { JobTimes } from "./job-times";

/**
 * Everything about one job.  `renderLogs` is rendered below the summary: the
 * app passes the logs feature's viewer in (features do not import each other).
 */
export function JobDetail({ jobId, renderLogs }: { jobId: string; renderLogs?: (job: Job) => ReactNode }) {
  const query = useJob(jobId);
  if (query.isPending) return <Loading label="Loading job…" />;
  if (query.isError && !query.data) {
    // a job that does not exist will not appear by trying again
    if (isNotFound(query.error))
      return (
        <div className="state state--error" role="alert">
          <span>Job {jobId} does not exist: no job has this id (it may have been deleted).</span>
          <Link to="/jobs">See all jobs</Link>
        </div>
      );
    return <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />;
  }
  const { job, history } = query.data;
  if (!job) return <ErrorState message="The server sent no job." />;
  return (
    <div data-testid="job-detail">
      <JobHeader job={job} />
      <div className="job-grid">
        <JobOverview job={job} />
        <JobTimes job={job} />
      </div>
      <div style={{ marginTop: 12 }}>{renderLogs?.(job)}</div>
      <div style={{ marginTop: 12 }}>
        <JobHistory history={history} />
      </div>
    </div>
  );
}
