import { Link } from "react-router-dom";
import { PageHead } from "@/components/ui/page-head";
import { ProvidersBrowser } from "@/features/providers/components/providers-browser";

export default function ProvidersPage() {
  return (
    <>
      <PageHead title="Providers" action={<Link className="btn btn--primary" to="/providers/new">+ Add Provider</Link>} />
      <ProvidersBrowser />
    </>
  );
}
