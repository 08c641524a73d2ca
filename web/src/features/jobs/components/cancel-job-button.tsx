import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { errorMessage } from "@/lib/errors";
import { useCancelJob } from "../hooks/use-job-mutations";

/** "Cancel Job", which asks for confirmation first. */
export function CancelJobButton({ jobId }: { jobId: string }) {
  const [confirming, setConfirming] = useState(false);
  const cancel = useCancelJob();
  const confirm = () => cancel.mutate(jobId, { onSettled: () => setConfirming(false) });
  return (
    <>
      <Button variant="danger" onClick={() => setConfirming(true)}>Cancel Job</Button>
      <ConfirmDialog
        open={confirming}
        title="Cancel this job?"
        message={`Job ${jobId} will be stopped (SIGTERM, then SIGKILL) and marked cancelled.`}
        confirmLabel="Yes, cancel job"
        busy={cancel.isPending}
        onConfirm={confirm}
        onCancel={() => setConfirming(false)}
      />
      {cancel.isError && <span className="field__error" role="alert">{errorMessage(cancel.error)}</span>}
    </>
  );
}
