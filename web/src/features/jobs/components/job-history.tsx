import type { JobTransition } from "@/gen/hodei/job_pb";
import { Card } from "@/components/ui/card";
import { formatTime } from "@/lib/format";
import { tsMs } from "@/lib/proto-time";
import { JobStatusBadge } from "./job-status-badge";

export function JobHistory({ history }: { history: readonly JobTransition[] }) {
  if (history.length === 0) return null;
  return (
    <Card title="History">
      <ol className="history">
        {history.map((t, i) => (
          <li key={i}>
            <time>{formatTime(tsMs(t.time))}</time>
            <JobStatusBadge state={t.state} />
            {t.attempt > 1 && <span>attempt {t.attempt}</span>}
            {t.reason && <span>{t.reason}</span>}
          </li>
        ))}
      </ol>
    </Card>
  );
}
