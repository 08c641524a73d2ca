import { lazy } from "react";
import { createHashRouter } from "react-router-dom";
import { AppShell } from "./layout/app-shell";
import { RouteError } from "./layout/route-error";
import { DashboardPage } from "./routes/dashboard-page";
import { JobsPage } from "./routes/jobs-page";

// Pages with charts or forms load on demand so the first page stays small;
// once the first page is up they are fetched in the background, so they
// still open while hodeid is briefly unreachable.
const pageLoaders = {
  job: () => import("./routes/job-page"),
  newJob: () => import("./routes/new-job-page"),
  metrics: () => import("./routes/metrics-page"),
  providers: () => import("./routes/providers-page"),
  provider: () => import("./routes/provider-page"),
  newProvider: () => import("./routes/new-provider-page"),
};
const JobPage = lazy(pageLoaders.job);
const NewJobPage = lazy(pageLoaders.newJob);
const MetricsPage = lazy(pageLoaders.metrics);
const ProvidersPage = lazy(pageLoaders.providers);
const ProviderPage = lazy(pageLoaders.provider);
const NewProviderPage = lazy(pageLoaders.newProvider);

export function prefetchPages(): void {
  for (const load of Object.values(pageLoaders)) void load().catch(() => {});
}

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
