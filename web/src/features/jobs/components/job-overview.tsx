import type { Job } from "@/gen/hodei/job_pb";
import { Card } from "@/components/ui/card";
import { DefinitionList } from "@/components/ui/definition-list";
import { ProgressBar } from "@/components/ui/progress-bar";
import { commandLine, isActive } from "../utils/job-state";

/** Command, progress and outcome of a job. */
export function JobOverview({ job }: { job: Job }) {
  const def = job.definition;
  const env = Object.entries(def?.environment ?? {});
  // The server sends "***" for every secret value; only the names are shown.
  const secrets = Object.keys(def?.secretEnvironment ?? {});
  // The manual: progress "if it is running"; the last value a job reported.
  const showProgress = isActive(job.state);
  return (
    <Card title="Command">
      <pre className="command-line" data-testid="job-command">{commandLine(job)}</pre>
      {job.definitionTruncated && (
        <span className="field__hint">Shortened: this job's arguments and environment are too large to send whole.</span>
      )}
      {showProgress && (
        <div style={{ marginTop: 12 }}>
          {job.progress >= 0 ? (
            <ProgressBar label="Progress" value={job.progress} />
          ) : (
            <span className="field__hint">No progress reported (a job reports it by printing ::progress::N).</span>
          )}
        </div>
      )}
      <div style={{ marginTop: 12 }}>
        <DefinitionList
          items={[
            ["Priority", priorityName(def?.priority)],
            ["Exit code", job.exitCode >= 0 ? String(job.exitCode) : job.termSignal ? `signal ${job.termSignal}` : "—"],
            ["Reason", job.reason || "—"],
            ["Queued by", job.queuedBy || "—"],
            ["Token", job.tokenName || "—"],
            ["Provider", job.provider || "—"],
            ["Worker", job.workerId || "—"],
            ["Environment", env.length ? env.map(([k, v]) => `${k}=${v}`).join("\n") : "—"],
            ["Secrets", secrets.length ? secrets.map((k) => `${k}=***`).join("\n") : "—"],
          ]}
        />
      </div>
    </Card>
  );
}

function priorityName(p: number | undefined): string {
  return ["Normal", "Low", "Normal", "High", "Critical"][p ?? 0] ?? "Normal";
}
