import { Link } from "react-router-dom";
import { PageHead } from "@/components/ui/page-head";
import { JobsBrowser } from "@/features/jobs/components/jobs-browser";
import { useTitle } from "@/lib/use-title";

export function JobsPage() {
  useTitle("Jobs");
  return (
    <>
      <PageHead title="Jobs" action={<Link className="btn btn--primary" to="/jobs/new">+ New Job</Link>} />
      <JobsBrowser />
    </>
  );
}
