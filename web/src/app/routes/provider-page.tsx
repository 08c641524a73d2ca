import { Link, useParams } from "react-router-dom";
import { ProviderDetail } from "@/features/providers/components/provider-detail";

export default function ProviderPage() {
  const { name = "" } = useParams();
  return (
    <>
      <Link className="back-link" to="/providers">← Providers</Link>
      <ProviderDetail name={name} />
    </>
  );
}
