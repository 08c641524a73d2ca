import { ProviderStatus } from "@/gen/hodei/provider_pb";

/**
 * 0-100 as a number and a coloured bar.  The score measures an active
 * provider's recent probes: a provider that is offline or in maintenance has
 * none to show (a grey "—", never a green 100), and an unhealthy one is red
 * whatever its last score was.
 */
export function HealthScore({ score, status }: { score: number; status?: ProviderStatus }) {
  if (status === ProviderStatus.OFFLINE || status === ProviderStatus.MAINTENANCE) {
    const what = status === ProviderStatus.OFFLINE ? "offline" : "in maintenance";
    return (
      <span className="health-score health-score--none" aria-label={`Health score: none (${what})`}>
        <span>—</span>
        <span className="health-score__bar" />
      </span>
    );
  }
  const unhealthy = status === ProviderStatus.UNHEALTHY;
  const color = unhealthy ? "var(--err)" : score >= 80 ? "var(--ok)" : score >= 50 ? "var(--warn)" : "var(--err)";
  return (
    <span className="health-score" aria-label={`Health score ${score}${unhealthy ? " (unhealthy)" : ""}`}>
      <span>{score}</span>
      <span className="health-score__bar">
        <span className="health-score__fill" style={{ width: `${score}%`, background: color, display: "block" }} />
      </span>
    </span>
  );
}
