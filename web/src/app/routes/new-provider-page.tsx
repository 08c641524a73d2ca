import { Link, useNavigate } from "react-router-dom";
import { Card } from "@/components/ui/card";
import { PageHead } from "@/components/ui/page-head";
import { AddProviderForm } from "@/features/providers/components/add-provider-form";
import { useTitle } from "@/lib/use-title";

export default function NewProviderPage() {
  useTitle("Add Provider");
  const navigate = useNavigate();
  return (
    <>
      <Link className="back-link" to="/providers">← Providers</Link>
      <PageHead title="Add Provider" />
      <Card>
        <AddProviderForm onCreated={(name) => navigate(`/providers/${encodeURIComponent(name)}`)} />
      </Card>
    </>
  );
}
