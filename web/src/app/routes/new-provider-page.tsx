import { Link, useNavigate } from "react-router-dom";
import { Card } from "@/components/ui/card";
import { AddProviderForm } from "@/features/providers/components/add-provider-form";
import { useTitle } from "@/lib/use-title";

export default function NewProviderPage() {
  useTitle("Add Provider");
  const navigate = useNavigate();
  return (
    <>
      <Link className="back-link" to="/providers">← Providers</Link>
      <Card title="Add Provider">
        <AddProviderForm onCreated={(name) => navigate(`/providers/${encodeURIComponent(name)}`)} />
      </Card>
    </>
  );
}
