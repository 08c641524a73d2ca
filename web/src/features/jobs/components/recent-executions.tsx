import { Link } from "react-router-dom";
import { Card } from "@/components/ui/card";
import { Empty, ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { useJobList } from "../hooks/use-job-list";
import { JobTable } from "./job-table";

/** The latest jobs, newest first, for the dashboard. */
export function RecentExecutions({ count = 8 }: { count?: number }) {
  const query = useJobList({ filter: "all", search: "", pageToken: "", pageSize: count });
  return (
    <Card title="Recent Executions" actions={<Link to="/jobs">View all</Link>}>
      {query.isPending ? (
        <Loading />
      ) : query.isError && !query.data ? (
        <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />
      ) : query.data.jobs.length === 0 ? (
        <Empty>No executions yet.</Empty>
      ) : (
        <JobTable jobs={query.data.jobs} />
      )}
    </Card>
  );
}
