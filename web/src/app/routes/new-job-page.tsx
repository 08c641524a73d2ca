import { Link, useNavigate } from "react-router-dom";
import { Card } from "@/components/ui/card";
import { PageHead } from "@/components/ui/page-head";
import { NewJobForm } from "@/features/jobs/components/new-job-form";
import { useTitle } from "@/lib/use-title";

export default function NewJobPage() {
  useTitle("New Job");
  const navigate = useNavigate();
  return (
    <>
      <Link className="back-link" to="/jobs">← Jobs</Link>
      <PageHead title="New Job" />
      <Card>
        <NewJobForm onScheduled={(id) => navigate(`/jobs/${encodeURIComponent(id)}`)} />
      </Card>
    </>
  );
}
