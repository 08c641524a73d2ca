import { LogLevel } from "@/gen/hodei/log_stream_pb";
import { Button } from "@/components/ui/button";
import type { LogFilter } from "../utils/log-buffer";

const LEVELS = [LogLevel.UNSPECIFIED, LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARN, LogLevel.ERROR];
const LEVEL_LABELS = ["All levels", "DEBUG+", "INFO+", "WARN+", "ERROR"];

export function LogToolbar(props: {
  paused: boolean;
  onPauseToggle: () => void;
  onClear: () => void;
  onDownload: () => void;
  downloading: boolean;
  filter: LogFilter;
  onFilter: (f: LogFilter) => void;
  /** the attempts that wrote lines: a picker when there are several */
  attempts: number[];
  /** the job has ended: nothing more will come, so no Pause */
  ended: boolean;
}) {
  const { filter, onFilter } = props;
  return (
    <div className="log-toolbar">
      <h2>Logs</h2>
      <input
        type="search"
        placeholder="Filter logs"
        aria-label="Filter logs by text"
        value={filter.text}
        onChange={(e) => onFilter({ ...filter, text: e.target.value })}
      />
      <select
        aria-label="Minimum log level"
        value={filter.minLevel}
        onChange={(e) => onFilter({ ...filter, minLevel: Number(e.target.value) as LogLevel })}
      >
        {LEVELS.map((l, i) => <option key={l} value={l}>{LEVEL_LABELS[i]}</option>)}
      </select>
      {props.attempts.length > 1 && (
        <select
          aria-label="Attempt"
          value={filter.attempt}
          onChange={(e) => onFilter({ ...filter, attempt: Number(e.target.value) })}
        >
          <option value={0}>All attempts</option>
          {props.attempts.map((a) => <option key={a} value={a}>Attempt {a}</option>)}
        </select>
      )}
      {!(props.ended && !props.paused) && (
        <Button onClick={props.onPauseToggle}>{props.paused ? "Resume" : "Pause"}</Button>
      )}
      <Button onClick={props.onClear}>Clear</Button>
      <Button onClick={props.onDownload} busy={props.downloading}>Download</Button>
    </div>
  );
}
