import { Link } from "react-router-dom";
import type { Job } from "@/gen/hodei/job_pb";
import { formatDuration, formatTime } from "@/lib/format";
import { tsMs } from "@/lib/proto-time";
import { useNow } from "@/lib/use-now";
import { isActive, jobDurationMs } from "../utils/job-state";
import { JobStatusBadge } from "./job-status-badge";
import "./jobs.css";

/** Jobs as rows (a table on desktop, stacked cards on a phone). */
export function JobTable({ jobs }: { jobs: readonly Job[] }) {
  const now = useNow(1000, jobs.some((j) => isActive(j.state)));
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>ID</th>
          <th>Name</th>
          <th>Status</th>
          <th>Duration</th>
          <th>Started</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((job) => (
          <tr key={job.id} data-testid="job-row" data-job-id={job.id}>
            <td data-label="ID" className="mono">
              <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</Link>
            </td>
            <td data-label="Name">{job.definition?.name || job.definition?.command}</td>
            <td data-label="Status"><JobStatusBadge state={job.state} /></td>
            <td data-label="Duration">{formatDuration(jobDurationMs(job, now))}</td>
            <td data-label="Started">{formatTime(tsMs(job.startedAt))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
