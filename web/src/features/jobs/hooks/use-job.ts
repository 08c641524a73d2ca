import { useQuery } from "@tanstack/react-query";
import { jobKeys, useJobsClient } from "../api/jobs-api";

/** A job with its transition history; kept live by useJobEvents. */
export function useJob(jobId: string) {
  const client = useJobsClient();
  return useQuery({
    queryKey: jobKeys.detail(jobId),
    queryFn: ({ signal }) => client.getJob({ jobId }, { signal }),
  });
}
