import { LogLevel } from "@/gen/hodei/log_stream_pb";

export interface LogLine {
  seq: number;
  /** capture time, ms since the epoch */
  ts: number;
  level: LogLevel;
  text: string;
}

export interface LogFilter {
  text: string;
  minLevel: LogLevel;
}

export const NO_FILTER: LogFilter = { text: "", minLevel: LogLevel.UNSPECIFIED };

function matches(line: LogLine, f: LogFilter, needle: string): boolean {
  if (f.minLevel !== LogLevel.UNSPECIFIED && line.level < f.minLevel) return false;
  return needle === "" || line.text.toLowerCase().includes(needle);
}

/**
 * Every line received for one job, plus what the viewer shows of it.  Built
 * for 100,000+ lines: appends are O(1), a filtered view is computed once and
 * then extended with only the lines that arrived since, and "Clear" just
 * moves a start mark (the lines stay available for Download).
 */
export class LogBuffer {
  private lines: LogLine[] = [];
  private start = 0;
  private cache: { key: string; upTo: number; rows: LogLine[] } | null = null;

  get size(): number {
    return this.lines.length;
  }

  get lastSeq(): number {
    return this.lines.length ? this.lines[this.lines.length - 1].seq : 0;
  }

  append(line: LogLine): void {
    if (line.seq !== 0 && line.seq <= this.lastSeq) return; // replayed after a reconnect
    this.lines.push(line);
  }

  clear(): void {
    this.start = this.lines.length;
    this.cache = null;
  }

  all(): readonly LogLine[] {
    return this.lines;
  }

  /** Lines after the last Clear, up to `upTo` received, passing `f`. */
  view(f: LogFilter, upTo = this.lines.length): readonly LogLine[] {
    const key = `${this.start}\u0000${f.minLevel}\u0000${f.text}`;
    if (!this.cache || this.cache.key !== key || this.cache.upTo > upTo) {
      this.cache = { key, upTo: this.start, rows: [] };
    }
    const needle = f.text.toLowerCase();
    const rows = this.cache.rows;
    const unfiltered = needle === "" && f.minLevel === LogLevel.UNSPECIFIED;
    for (let i = Math.max(this.cache.upTo, this.start); i < upTo; i++) {
      const line = this.lines[i];
      if (unfiltered || matches(line, f, needle)) rows.push(line);
    }
    this.cache.upTo = upTo;
    return rows;
  }
}
