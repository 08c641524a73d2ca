import { LogLevel, type LogEntry } from "@/gen/hodei/log_stream_pb";
import { tsMs } from "@/lib/proto-time";
import type { LogLine } from "./log-buffer";

export const LEVEL_NAMES: Record<LogLevel, string> = {
  [LogLevel.UNSPECIFIED]: "ALL",
  [LogLevel.DEBUG]: "DEBUG",
  [LogLevel.INFO]: "INFO",
  [LogLevel.WARN]: "WARN",
  [LogLevel.ERROR]: "ERROR",
};

export function toLogLine(entry: LogEntry): LogLine {
  return { seq: Number(entry.sequence), ts: tsMs(entry.timestamp), level: entry.level, text: entry.line };
}

/** One line of a downloaded log: ISO time, level, text. */
export function formatLogLine(line: LogLine): string {
  const time = line.ts ? new Date(line.ts).toISOString() : "";
  return `${time} ${LEVEL_NAMES[line.level] ?? "INFO"} ${line.text}`;
}
