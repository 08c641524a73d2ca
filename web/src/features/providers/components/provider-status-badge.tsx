import type { ProviderStatus } from "@/gen/hodei/provider_pb";
import { Badge } from "@/components/ui/badge";
import { providerStatusView } from "@/lib/provider-status";

export function ProviderStatusBadge({ status }: { status: ProviderStatus }) {
  const { label, tone } = providerStatusView(status);
  return (
    <Badge tone={tone}>
      <span data-testid="provider-status">{label}</span>
    </Badge>
  );
}
