import { ProviderStatus } from "@/gen/hodei/provider_pb";
import type { Tone } from "@/components/ui/stat-card";

/** How a provider's status is shown wherever providers appear. */
export const PROVIDER_STATUS_VIEW: Record<ProviderStatus, { label: string; tone: Tone }> = {
  [ProviderStatus.UNSPECIFIED]: { label: "Unknown", tone: "neutral" },
  [ProviderStatus.ACTIVE]: { label: "Active", tone: "ok" },
  [ProviderStatus.UNHEALTHY]: { label: "Unhealthy", tone: "err" },
  [ProviderStatus.OFFLINE]: { label: "Offline", tone: "neutral" },
  [ProviderStatus.MAINTENANCE]: { label: "Maintenance", tone: "warn" },
};

export function providerStatusView(status: ProviderStatus): { label: string; tone: Tone } {
  return PROVIDER_STATUS_VIEW[status] ?? PROVIDER_STATUS_VIEW[ProviderStatus.UNSPECIFIED];
}
