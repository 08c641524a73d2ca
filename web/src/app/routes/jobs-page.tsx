import { Link } from "react-router-dom";
import { PageHead } from "@/components/ui/page-head";
import { JobsBrowser } from "@/features/jobs/components/jobs-browser";

export function JobsPage() {
  return (
    <>
      <PageHead title="Jobs" action={<Link className="btn btn--primary" to="/jobs/new">+ New Job</Link>} />
      <JobsBrowser />
    </>
  );
}
