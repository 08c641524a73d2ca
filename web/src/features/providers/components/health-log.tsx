import { Card } from "@/components/ui/card";
import { Empty, ErrorState, Loading } from "@/components/ui/states";
import { errorMessage } from "@/lib/errors";
import { formatTime } from "@/lib/format";
import { tsMs } from "@/lib/proto-time";
import { useHealthLog } from "../hooks/use-providers";
import { ProviderStatusBadge } from "./provider-status-badge";

/** The provider's status history, newest first. */
export function HealthLog({ name }: { name: string }) {
  const query = useHealthLog(name);
  return (
    <Card title="Health Log">
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState message={errorMessage(query.error)} onRetry={() => void query.refetch()} />
      ) : query.data.length === 0 ? (
        <Empty>No health events yet.</Empty>
      ) : (
        <ol className="health-log" data-testid="health-log">
          {query.data.map((e, i) => (
            <li key={i}>
              <time>{formatTime(tsMs(e.time))}</time>
              <ProviderStatusBadge status={e.status} />
              <span>score {e.score}</span>
              {e.message && <span>{e.message}</span>}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
