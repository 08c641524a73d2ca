import { Link, useParams } from "react-router-dom";
import { ProviderDetail } from "@/features/providers/components/provider-detail";
import { useTitle } from "@/lib/use-title";

export default function ProviderPage() {
  const { name = "" } = useParams();
  useTitle(`Provider ${name}`);
  return (
    <>
      <Link className="back-link" to="/providers">← Providers</Link>
      <ProviderDetail name={name} />
    </>
  );
}
