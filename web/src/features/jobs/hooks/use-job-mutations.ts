import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QueueJobRequestSchema } from "@/gen/hodei/job_execution_pb";
import { jobKeys, useJobsClient } from "../api/jobs-api";

function useInvalidateJobs() {
  const queryClient = useQueryClient();
  return (jobId?: string) => {
    void queryClient.invalidateQueries({ queryKey: jobKeys.lists() });
    if (jobId) void queryClient.invalidateQueries({ queryKey: jobKeys.detail(jobId) });
  };
}

export function useCancelJob() {
  const client = useJobsClient();
  const invalidate = useInvalidateJobs();
  return useMutation({
    mutationFn: (jobId: string) => client.cancelJob({ jobId }),
    onSuccess: (_res, jobId) => invalidate(jobId),
  });
}

export function useRetryJob() {
  const client = useJobsClient();
  const invalidate = useInvalidateJobs();
  return useMutation({
    mutationFn: (jobId: string) => client.retryJob({ jobId }),
    onSuccess: (_res, jobId) => invalidate(jobId),
  });
}

export type QueueJobInput = MessageInitShape<typeof QueueJobRequestSchema>;

export function useQueueJob() {
  const client = useJobsClient();
  const invalidate = useInvalidateJobs();
  return useMutation({
    mutationFn: (req: QueueJobInput) => client.queueJob(req),
    onSuccess: () => invalidate(),
  });
}
