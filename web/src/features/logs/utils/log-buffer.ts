import { LogLevel } from "@/gen/hodei/log_stream_pb";

export interface LogLine {
  seq: number;
  /** capture time, ms since the epoch */
  ts: number;
  level: LogLevel;
  text: string;
  /** the attempt (run) that wrote it, from 1 */
  attempt: number;
  /** a row the viewer adds where a new attempt starts: not a line of the job */
  marker?: boolean;
}

export interface LogFilter {
  text: string;
  minLevel: LogLevel;
  /** only this attempt's lines; 0 = every attempt */
  attempt: number;
}

export const NO_FILTER: LogFilter = { text: "", minLevel: LogLevel.UNSPECIFIED, attempt: 0 };

function matches(line: LogLine, f: LogFilter, needle: string): boolean {
  if (f.attempt && line.attempt !== f.attempt) return false;
  if (f.minLevel !== LogLevel.UNSPECIFIED && line.level < f.minLevel) return false;
  return needle === "" || line.text.toLowerCase().includes(needle);
}

/** "::progress::N" lines are progress, not output (the job's progress bar shows them). */
const PROGRESS = /^::progress::\s*\d{1,3}(\.\d+)?%?\s*$/;

/**
 * Every line received for one job, plus what the viewer shows of it.  Built
 * for 100,000+ lines: appends are O(1), a filtered view is computed once and
 * then extended with only the lines that arrived since, and "Clear" just
 * moves a start mark (the lines stay available for Download).
 */
export class LogBuffer {
  private lines: LogLine[] = [];
  private start = 0;
  private cache: { key: string; upTo: number; rows: LogLine[]; attempt: number } | null = null;
  private attemptSet = new Set<number>();

  get size(): number {
    return this.lines.length;
  }

  get lastSeq(): number {
    return this.lines.length ? this.lines[this.lines.length - 1].seq : 0;
  }

  append(line: LogLine): void {
    if (line.seq !== 0 && line.seq <= this.lastSeq) return; // replayed after a reconnect
    this.lines.push(line);
    this.attemptSet.add(line.attempt);
  }

  /** The attempts that wrote lines, in order. */
  attempts(): number[] {
    return [...this.attemptSet].sort((a, b) => a - b);
  }

  clear(): void {
    this.start = this.lines.length;
    this.cache = null;
  }

  all(): readonly LogLine[] {
    return this.lines;
  }

  /**
   * Lines after the last Clear, up to `upTo` received, passing `f`, without
   * progress reports; where the attempt changes, a marker row says so
   * ("Attempt 2"), so the runs of a retried job do not run together.
   */
  view(f: LogFilter, upTo = this.lines.length): readonly LogLine[] {
    const key = `${this.start}\u0000${f.minLevel}\u0000${f.text}\u0000${f.attempt}`;
    if (!this.cache || this.cache.key !== key || this.cache.upTo > upTo) {
      this.cache = { key, upTo: this.start, rows: [], attempt: 0 };
    }
    const needle = f.text.toLowerCase();
    const cache = this.cache;
    const unfiltered = needle === "" && f.minLevel === LogLevel.UNSPECIFIED && !f.attempt;
    const several = this.attemptSet.size > 1;
    for (let i = Math.max(cache.upTo, this.start); i < upTo; i++) {
      const line = this.lines[i];
      if (PROGRESS.test(line.text) || !(unfiltered || matches(line, f, needle))) continue;
      if (line.attempt !== cache.attempt && (several || line.attempt > 1)) {
        cache.rows.push({ seq: 0, ts: line.ts, level: LogLevel.UNSPECIFIED, text: `Attempt ${line.attempt}`, attempt: line.attempt, marker: true });
      }
      cache.attempt = line.attempt;
      cache.rows.push(line);
    }
    cache.upTo = upTo;
    return cache.rows;
  }
}
