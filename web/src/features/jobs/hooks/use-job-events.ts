import { useRef } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { JobEventKind, type GetJobResponse, type WatchJobsResponse } from "@/gen/hodei/job_execution_pb";
import { useServerStream } from "@/lib/use-server-stream";
import { jobKeys, useJobsClient } from "../api/jobs-api";

const LIST_REFRESH_MS = 1_000;

/**
 * Keeps every job view live from the WatchJobs stream: a job's detail is
 * patched in place, and lists are refetched at most once a second however
 * many jobs change.  Mount once, in the app shell.
 */
export function useJobEvents(): void {
  const client = useJobsClient();
  const queryClient = useQueryClient();
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const scheduleListRefresh = () => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = null;
      void queryClient.invalidateQueries({ queryKey: jobKeys.lists() });
    }, LIST_REFRESH_MS);
  };

  useServerStream<WatchJobsResponse>(
    {
      open: (signal) => client.watchJobs({ includeProgress: true }, { signal }),
      onMessage: (event) => {
        applyJobEvent(queryClient, event);
        if (event.kind === JobEventKind.STATE) scheduleListRefresh();
      },
      reconnectOnEnd: true,
    },
    [client, queryClient],
  );
}

/** Patches the cached detail of the job an event is about. */
export function applyJobEvent(queryClient: QueryClient, event: WatchJobsResponse): void {
  const key = jobKeys.detail(event.jobId);
  const cached = queryClient.getQueryData<GetJobResponse>(key);
  if (!cached?.job) {
    // Not loaded yet: a GetJob in flight may answer with the job as it was
    // before this event (a job that fails at once), and no later event would
    // correct it; fetch again once that one is done.
    if (event.kind !== JobEventKind.PROGRESS && queryClient.getQueryState(key)?.fetchStatus === "fetching")
      void queryClient.refetchQueries({ queryKey: key }).then(() => queryClient.invalidateQueries({ queryKey: key }));
    return;
  }
  if (event.kind === JobEventKind.PROGRESS) {
    const job = { ...cached.job, progress: event.progress };
    queryClient.setQueryData<GetJobResponse>(key, { ...cached, job });
    return;
  }
  // An event carries a summary of the job (definitionTruncated): keep the
  // whole definition GetJob gave until the refetch below replaces it.
  const job = event.job?.definitionTruncated
    ? { ...event.job, definition: cached.job.definition, definitionTruncated: cached.job.definitionTruncated }
    : event.job;
  if (job) queryClient.setQueryData<GetJobResponse>(key, { ...cached, job });
  void queryClient.invalidateQueries({ queryKey: key });
}
