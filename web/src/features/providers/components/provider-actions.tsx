import { useState } from "react";
import { ProviderStatus, type Provider } from "@/gen/hodei/provider_pb";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { errorMessage } from "@/lib/errors";
import { useProviderAction } from "../hooks/use-provider-mutations";

/** Mark Healthy, Maintenance and Shutdown (the last one confirmed first). */
export function ProviderActions({ provider }: { provider: Provider }) {
  const action = useProviderAction(provider.name);
  const [confirmShutdown, setConfirmShutdown] = useState(false);
  const busy = action.isPending;
  return (
    <div className="job-header__actions">
      <Button onClick={() => action.mutate("healthy")} disabled={busy || provider.status === ProviderStatus.ACTIVE}>
        Mark Healthy
      </Button>
      <Button onClick={() => action.mutate("maintenance")} disabled={busy || provider.status === ProviderStatus.MAINTENANCE}>
        Maintenance
      </Button>
      <Button variant="danger" onClick={() => setConfirmShutdown(true)} disabled={busy || provider.status === ProviderStatus.OFFLINE}>
        Shutdown
      </Button>
      <ConfirmDialog
        open={confirmShutdown}
        title={`Shut down ${provider.name}?`}
        message="Idle workers are released and the provider takes no new jobs until marked healthy."
        confirmLabel="Shut down"
        busy={busy}
        onConfirm={() => action.mutate("shutdown", { onSettled: () => setConfirmShutdown(false) })}
        onCancel={() => setConfirmShutdown(false)}
      />
      {action.isError && <span className="field__error" role="alert">{errorMessage(action.error)}</span>}
    </div>
  );
}
