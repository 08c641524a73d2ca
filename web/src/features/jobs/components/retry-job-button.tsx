import { Button } from "@/components/ui/button";
import { errorMessage } from "@/lib/errors";
import { useRetryJob } from "../hooks/use-job-mutations";

export function RetryJobButton({ jobId }: { jobId: string }) {
  const retry = useRetryJob();
  return (
    <>
      <Button variant="primary" busy={retry.isPending} onClick={() => retry.mutate(jobId)}>Retry</Button>
      {retry.isError && <span className="field__error" role="alert">{errorMessage(retry.error)}</span>}
    </>
  );
}
