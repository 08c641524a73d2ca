import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { jobKeys, useJobsClient, type JobListParams } from "../api/jobs-api";
import { statesFor } from "../utils/job-state";

/**
 * Requests made for one shown page at most.  The server ends a page early
 * when the next job would not fit in one message, or when a broad search has
 * looked at as many jobs as one page may (job.h), and then still gives a
 * next_page_token: the following pages are asked for at once until the shown
 * page is full, there is no token, or this many requests were made (the
 * pager then offers Next).
 */
export const MAX_LIST_REQUESTS = 5;

/** One page of jobs, answered by the server (keyset pagination). */
export function useJobList(params: JobListParams) {
  const client = useJobsClient();
  return useQuery({
    queryKey: jobKeys.list(params),
    queryFn: async ({ signal }) => {
      const req = { states: statesFor(params.filter), search: params.search.trim() };
      let page = await client.listJobs({ ...req, pageSize: params.pageSize, pageToken: params.pageToken }, { signal });
      const jobs = [...page.jobs];
      for (let n = 1; n < MAX_LIST_REQUESTS && jobs.length < params.pageSize && page.nextPageToken !== ""; n++) {
        page = await client.listJobs({ ...req, pageSize: params.pageSize - jobs.length, pageToken: page.nextPageToken }, { signal });
        jobs.push(...page.jobs);
      }
      return { ...page, jobs };
    },
    placeholderData: keepPreviousData,
  });
}
