import { Link } from "react-router-dom";
import { PageHead } from "@/components/ui/page-head";
import { ProvidersBrowser } from "@/features/providers/components/providers-browser";
import { useTitle } from "@/lib/use-title";

export default function ProvidersPage() {
  useTitle("Providers");
  return (
    <>
      <PageHead title="Providers" action={<Link className="btn btn--primary" to="/providers/new">+ Add Provider</Link>} />
      <ProvidersBrowser />
    </>
  );
}
