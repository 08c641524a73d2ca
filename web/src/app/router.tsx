import { lazy } from "react";
import { createHashRouter } from "react-router-dom";
import { AppShell } from "./layout/app-shell";
import { RouteError } from "./layout/route-error";
import { DashboardPage } from "./routes/dashboard-page";
import { JobsPage } from "./routes/jobs-page";

// Pages with charts or forms load on demand so the first page stays small.
const JobPage = lazy(() => import("./routes/job-page"));
const NewJobPage = lazy(() => import("./routes/new-job-page"));
const MetricsPage = lazy(() => import("./routes/metrics-page"));
const ProvidersPage = lazy(() => import("./routes/providers-page"));
const ProviderPage = lazy(() => import("./routes/provider-page"));
const NewProviderPage = lazy(() => import("./routes/new-provider-page"));

/**
 * Hash routes (/#/jobs/ID) so that hodeid serves one index.html and any
 * link can be reloaded or shared without server-side routing.
 */
export const routes = [
  {
    element: <AppShell />,
    errorElement: <RouteError />,
    children: [
      {
        // Pages fail inside the shell: the navigation stays usable.
        errorElement: <RouteError />,
        children: [
          { path: "/", element: <DashboardPage /> },
          { path: "/jobs", element: <JobsPage /> },
          { path: "/jobs/new", element: <NewJobPage /> },
          { path: "/jobs/:jobId", element: <JobPage /> },
          { path: "/metrics", element: <MetricsPage /> },
          { path: "/providers", element: <ProvidersPage /> },
          { path: "/providers/new", element: <NewProviderPage /> },
          { path: "/providers/:name", element: <ProviderPage /> },
          { path: "*", element: <p>Page not found.</p> },
        ],
      },
    ],
  },
];

export const router = createHashRouter(routes);
