import { memo, type CSSProperties } from "react";
import { LogLevel } from "@/gen/hodei/log_stream_pb";
import type { LogLine } from "../utils/log-buffer";
import { displayText, LEVEL_NAMES } from "../utils/log-format";

const LEVEL_CLASS: Record<LogLevel, string> = {
  [LogLevel.UNSPECIFIED]: "log-line--info",
  [LogLevel.DEBUG]: "log-line--debug",
  [LogLevel.INFO]: "log-line--info",
  [LogLevel.WARN]: "log-line--warn",
  [LogLevel.ERROR]: "log-line--error",
};

/** One line, coloured by level: INFO white, WARN yellow, ERROR red, DEBUG grey. */
export const LogLineRow = memo(function LogLineRow({ line, style }: { line: LogLine; style: CSSProperties }) {
  if (line.marker)
    return (
      <div className="log-line log-line--marker" style={style} role="separator" aria-label={line.text}>
        ── {line.text} ──
      </div>
    );
  return (
    <div className={`log-line ${LEVEL_CLASS[line.level]}`} style={style} data-seq={line.seq} data-level={LEVEL_NAMES[line.level]}>
      <span className="log-line__seq">{line.seq}</span>
      <span className="log-line__level">{LEVEL_NAMES[line.level]}</span>
      <span className="log-line__text">{displayText(line)}</span>
    </div>
  );
});
