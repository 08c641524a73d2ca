import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { jobKeys, useJobsClient, type JobListParams } from "../api/jobs-api";
import { statesFor } from "../utils/job-state";

/** One page of jobs, answered by the server (keyset pagination). */
export function useJobList(params: JobListParams) {
  const client = useJobsClient();
  return useQuery({
    queryKey: jobKeys.list(params),
    queryFn: ({ signal }) =>
      client.listJobs(
        {
          states: statesFor(params.filter),
          search: params.search.trim(),
          pageSize: params.pageSize,
          pageToken: params.pageToken,
        },
        { signal },
      ),
    placeholderData: keepPreviousData,
  });
}
