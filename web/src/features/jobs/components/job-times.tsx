import type { Job } from "@/gen/hodei/job_pb";
import { Card } from "@/components/ui/card";
import { DefinitionList } from "@/components/ui/definition-list";
import { formatBytes, formatDuration, formatTime } from "@/lib/format";
import { durMs, tsMs } from "@/lib/proto-time";
import { useNow } from "@/lib/use-now";
import { isActive, jobDurationMs } from "../utils/job-state";

/** Start, end, duration and the resources asked for and used. */
export function JobTimes({ job }: { job: Job }) {
  const now = useNow(1000, isActive(job.state));
  const req = job.definition?.resources;
  const timeout = durMs(job.definition?.timeout);
  return (
    <Card title="Times and resources">
      <DefinitionList
        items={[
          ["Created", formatTime(tsMs(job.createdAt))],
          ["Started", formatTime(tsMs(job.startedAt))],
          ["Finished", formatTime(tsMs(job.finishedAt))],
          ["Duration", formatDuration(jobDurationMs(job, now))],
          ["Timeout", timeout ? formatDuration(timeout) : "none"],
          ["CPU time", job.cpuTime ? formatDuration(durMs(job.cpuTime)) : "—"],
          ["Peak memory", formatBytes(Number(job.maxRssBytes))],
          ["CPU requested", req?.cpuMillis ? `${req.cpuMillis / 1000} cores` : "any"],
          ["Memory requested", req?.memoryBytes ? formatBytes(Number(req.memoryBytes)) : "any"],
        ]}
      />
    </Card>
  );
}
