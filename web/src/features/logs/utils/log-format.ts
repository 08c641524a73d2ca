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
  return { seq: Number(entry.sequence), ts: tsMs(entry.timestamp), level: entry.level, text: entry.line, attempt: entry.attempt || 1 };
}

/**
 * The text to show beside the level badge: a line that starts with its own
 * level ("INFO processed", "[WARN] disk", "error: x") would show it twice,
 * so the leading level word is left to the badge.
 */
export function displayText(line: LogLine): string {
  const name = LEVEL_NAMES[line.level];
  if (!name || line.level === LogLevel.UNSPECIFIED) return line.text;
  const m = /^\s*\[?([A-Za-z]+)\]?:?\s+/.exec(line.text);
  if (!m) return line.text;
  const word = m[1].toUpperCase();
  const same = word === name || (word === "WARNING" && name === "WARN") || (word === "ERR" && name === "ERROR");
  return same ? line.text.slice(m[0].length) : line.text;
}

/** One line of a downloaded log: ISO time, level, text. */
export function formatLogLine(line: LogLine): string {
  const time = line.ts ? new Date(line.ts).toISOString() : "";
  return `${time} ${LEVEL_NAMES[line.level] ?? "INFO"} ${line.text}`;
}
