import { useCallback, useRef, useState } from "react";
import type { SubscribeLogsResponse } from "@/gen/hodei/log_stream_pb";
import { useServerStream, type StreamStatus } from "@/lib/use-server-stream";
import { useLogsClient } from "../api/logs-api";
import { LogBuffer } from "../utils/log-buffer";
import { toLogLine } from "../utils/log-format";

export interface LogStream {
  buffer: LogBuffer;
  /** Bumps whenever lines were added (at most once per animation frame). */
  version: number;
  status: StreamStatus;
  /** Lines received up to the moment of Pause, or null while live. */
  pausedAt: number | null;
  pause: () => void;
  resume: () => void;
  clear: () => void;
}

/**
 * A job's log, history first and then live (SubscribeLogs).  Lines are
 * batched into one render per animation frame; after a reconnect (or when a
 * retry starts a new attempt) the stream resumes after the last line received.
 */
export function useLogStream(jobId: string, attempt = 1): LogStream {
  const client = useLogsClient();
  const [buffer] = useState(() => new LogBuffer());
  const [version, setVersion] = useState(0);
  const [pausedAt, setPausedAt] = useState<number | null>(null);
  const frame = useRef<number | null>(null);

  const flush = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    });
  }, []);

  const status = useServerStream<SubscribeLogsResponse>(
    {
      open: (signal) =>
        client.subscribeLogs(
          { jobId, includeHistory: true, afterSequence: BigInt(buffer.lastSeq) },
          { signal },
        ),
      onMessage: (msg) => {
        if (!msg.entry) return;
        buffer.append(toLogLine(msg.entry));
        flush();
      },
    },
    [client, jobId, attempt],
  );

  return {
    buffer,
    version,
    status,
    pausedAt,
    pause: () => setPausedAt(buffer.size),
    resume: () => setPausedAt(null),
    clear: () => {
      buffer.clear();
      setVersion((v) => v + 1);
    },
  };
}
