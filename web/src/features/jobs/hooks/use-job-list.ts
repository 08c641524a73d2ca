import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { jobKeys, useJobsClient, type JobListParams } from "../api/jobs-api";
import { statesFor } from "../utils/job-state";

/**
 * Requests made for one shown page at most.  A broad search is scanned with a
 * bound per page (job.h): a page may come back empty with a next_page_token,
 * so the following pages are asked for at once until one holds jobs, there
 * is no token, or this many requests were made (the pager then offers Next).
 */
export const MAX_LIST_REQUESTS = 5;

/** One page of jobs, answered by the server (keyset pagination). */
export function useJobList(params: JobListParams) {
  const client = useJobsClient();
  return useQuery({
    queryKey: jobKeys.list(params),
    queryFn: async ({ signal }) => {
      const req = { states: statesFor(params.filter), search: params.search.trim(), pageSize: params.pageSize };
      let page = await client.listJobs({ ...req, pageToken: params.pageToken }, { signal });
      for (let n = 1; n < MAX_LIST_REQUESTS && page.jobs.length === 0 && page.nextPageToken !== ""; n++)
        page = await client.listJobs({ ...req, pageToken: page.nextPageToken }, { signal });
      return page;
    },
    placeholderData: keepPreviousData,
  });
}
