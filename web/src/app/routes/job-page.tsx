import { Link, useParams } from "react-router-dom";
import { JobDetail } from "@/features/jobs/components/job-detail";
import { LogViewer } from "@/features/logs/components/log-viewer";
import { useTitle } from "@/lib/use-title";

export default function JobPage() {
  const { jobId = "" } = useParams();
  useTitle(`Job ${jobId}`);
  return (
    <>
      <Link className="back-link" to="/jobs">← Jobs</Link>
      <JobDetail jobId={jobId} renderLogs={(job) => <LogViewer jobId={job.id} attempt={job.attempt} />} />
    </>
  );
}
