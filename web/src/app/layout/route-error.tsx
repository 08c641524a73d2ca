import { Link, useRouteError } from "react-router-dom";
import { ErrorState } from "@/components/ui/states";

/** Shown instead of a page that failed to render (or a chunk that failed to load). */
export function RouteError() {
  const error = useRouteError();
  const message = error instanceof Error ? error.message : "Something went wrong.";
  return (
    <div className="main">
      <ErrorState message={`This page failed: ${message}`} onRetry={() => window.location.reload()} />
      <p style={{ textAlign: "center" }}><Link to="/">Back to the dashboard</Link></p>
    </div>
  );
}
