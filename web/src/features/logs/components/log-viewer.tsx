import { useState } from "react";
import { formatNumber } from "@/lib/format";
import { useLogDownload } from "../hooks/use-log-download";
import { useLogStream, type LogStream } from "../hooks/use-log-stream";
import { NO_FILTER, type LogFilter } from "../utils/log-buffer";
import { LogLines } from "./log-lines";
import { LogToolbar } from "./log-toolbar";
import "./logs.css";

/** A job's live log with Pause/Resume, Clear, Download and filters. */
export function LogViewer({ jobId, attempt }: { jobId: string; attempt?: number }) {
  const stream = useLogStream(jobId, attempt);
  const downloader = useLogDownload(jobId);
  const [filter, setFilter] = useState<LogFilter>(NO_FILTER);
  const rows = stream.buffer.view(filter, stream.pausedAt ?? stream.buffer.size);
  const paused = stream.pausedAt !== null;

  return (
    <section className="log-viewer" aria-label="Logs" data-testid="log-viewer">
      <LogToolbar
        paused={paused}
        onPauseToggle={paused ? stream.resume : stream.pause}
        onClear={stream.clear}
        onDownload={() => void downloader.download()}
        downloading={downloader.busy}
        filter={filter}
        onFilter={setFilter}
        attempts={stream.buffer.attempts()}
        ended={stream.status === "ended"}
      />
      {rows.length === 0 ? (
        <div className="log-lines log-empty log-lines--fit">{emptyText(stream, filter)}</div>
      ) : (
        <LogLines rows={rows} count={rows.length} fit={stream.status === "ended"} />
      )}
      <div className="log-status" data-testid="log-status">
        <span>{statusText(stream, paused)}</span>
        <span>
          {formatNumber(rows.length)} shown · {formatNumber(stream.buffer.size)} received
          {downloader.error && <span className="field__error"> · {downloader.error}</span>}
        </span>
      </div>
    </section>
  );
}

function statusText(stream: LogStream, paused: boolean): string {
  if (paused) return `Paused · ${formatNumber(stream.buffer.size - (stream.pausedAt ?? 0))} new lines waiting`;
  switch (stream.status) {
    case "connecting": return "Listening…";
    case "live": return "● Live";
    case "ended": return "Job finished: complete log";
    case "error": return "Connection lost: reconnecting…";
  }
}

function emptyText(stream: LogStream, filter: LogFilter): string {
  const filtering = filter.text !== "" || filter.minLevel !== NO_FILTER.minLevel;
  if (stream.buffer.size > 0) return filtering ? "No lines match the filter." : "View cleared. New lines will appear here.";
  return stream.status === "ended" ? "This job wrote no output." : "Waiting for output…";
}
