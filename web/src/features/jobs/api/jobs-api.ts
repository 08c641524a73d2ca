import { JobExecutionService } from "@/gen/hodei/job_execution_pb";
import { useClient } from "@/lib/transport";
import type { JobFilter } from "../utils/job-state";

export function useJobsClient() {
  return useClient(JobExecutionService);
}

export interface JobListParams {
  filter: JobFilter;
  search: string;
  pageToken: string;
  pageSize: number;
}

/** TanStack Query keys: lists are invalidated together when jobs change. */
export const jobKeys = {
  all: ["jobs"] as const,
  lists: () => ["jobs", "list"] as const,
  list: (p: JobListParams) => ["jobs", "list", p] as const,
  detail: (id: string) => ["jobs", "detail", id] as const,
};
