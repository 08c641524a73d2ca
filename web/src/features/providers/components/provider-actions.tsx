import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { ProviderStatus, type Provider } from "@/gen/hodei/provider_pb";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { errorMessage } from "@/lib/errors";
import { useDeleteProvider, useProviderAction } from "../hooks/use-provider-mutations";

/** Mark Healthy, Maintenance, Shutdown, Edit and Delete (Shutdown and Delete confirmed first). */
export function ProviderActions({ provider, onEdit }: { provider: Provider; onEdit?: () => void }) {
  const action = useProviderAction(provider.name);
  const remove = useDeleteProvider();
  const navigate = useNavigate();
  const [confirmShutdown, setConfirmShutdown] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const busy = action.isPending || remove.isPending;
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
      {onEdit && <Button onClick={onEdit} disabled={busy}>Edit</Button>}
      <Button variant="danger" onClick={() => setConfirmDelete(true)} disabled={busy}>
        Delete
      </Button>
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${provider.name}?`}
        message="The provider and its settings are removed; jobs already run keep their history. A provider that runs jobs cannot be deleted."
        confirmLabel="Delete provider"
        busy={busy}
        onConfirm={() =>
          remove.mutate(provider.name, {
            onSuccess: () => navigate("/providers"),
            onSettled: () => setConfirmDelete(false),
          })
        }
        onCancel={() => setConfirmDelete(false)}
      />
      {action.isError && <span className="field__error" role="alert">{errorMessage(action.error)}</span>}
      {remove.isError && <span className="field__error" role="alert">{errorMessage(remove.error)}</span>}
    </div>
  );
}
