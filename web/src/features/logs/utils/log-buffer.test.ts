import { LogLevel } from "@/gen/hodei/log_stream_pb";
import { LogBuffer, NO_FILTER, type LogLine } from "./log-buffer";

const line = (seq: number, level: LogLevel, text: string, attempt = 1): LogLine => ({ seq, ts: seq, level, text, attempt });

function filled(): LogBuffer {
  const b = new LogBuffer();
  b.append(line(1, LogLevel.DEBUG, "starting"));
  b.append(line(2, LogLevel.INFO, "Hello World"));
  b.append(line(3, LogLevel.WARN, "disk almost full"));
  b.append(line(4, LogLevel.ERROR, "hello failed"));
  return b;
}

describe("LogBuffer", () => {
  it("filters by minimum level and by text, case-insensitively", () => {
    const b = filled();
    expect(b.view({ text: "", minLevel: LogLevel.WARN, attempt: 0 }).map((l) => l.seq)).toEqual([3, 4]);
    expect(b.view({ text: "HELLO", minLevel: LogLevel.UNSPECIFIED, attempt: 0 }).map((l) => l.seq)).toEqual([2, 4]);
    expect(b.view({ text: "hello", minLevel: LogLevel.ERROR, attempt: 0 }).map((l) => l.seq)).toEqual([4]);
  });

  it("extends a cached view with new lines only", () => {
    const b = filled();
    const first = b.view({ text: "hello", minLevel: LogLevel.UNSPECIFIED, attempt: 0 });
    b.append(line(5, LogLevel.INFO, "hello again"));
    const second = b.view({ text: "hello", minLevel: LogLevel.UNSPECIFIED, attempt: 0 });
    expect(second).toBe(first);
    expect(second.map((l) => l.seq)).toEqual([2, 4, 5]);
  });

  it("shows only what was received up to a pause", () => {
    const b = filled();
    expect(b.view(NO_FILTER, 2).length).toBe(2);
    expect(b.view(NO_FILTER).length).toBe(4);
  });

  it("clears the view but keeps the lines", () => {
    const b = filled();
    b.clear();
    expect(b.view(NO_FILTER)).toEqual([]);
    b.append(line(5, LogLevel.INFO, "after clear"));
    expect(b.view(NO_FILTER).map((l) => l.seq)).toEqual([5]);
    expect(b.all().length).toBe(5);
  });

  it("drops lines replayed after a reconnect", () => {
    const b = filled();
    b.append(line(4, LogLevel.ERROR, "hello failed"));
    expect(b.size).toBe(4);
    expect(b.lastSeq).toBe(4);
  });

  it("keeps filtering 100,000 lines cheap", () => {
    const b = new LogBuffer();
    for (let i = 1; i <= 100_000; i++) b.append(line(i, i % 10 === 0 ? LogLevel.ERROR : LogLevel.INFO, `line ${i}`));
    expect(b.view({ text: "", minLevel: LogLevel.ERROR, attempt: 0 }).length).toBe(10_000);
    expect(b.view({ text: "line 9999", minLevel: LogLevel.UNSPECIFIED, attempt: 0 }).length).toBe(11);
  });

  it("leaves progress reports out and marks where each attempt starts", () => {
    const b = new LogBuffer();
    b.append(line(1, LogLevel.INFO, "first try", 1));
    b.append(line(2, LogLevel.DEBUG, "::progress::50", 1));
    b.append(line(3, LogLevel.ERROR, "boom", 1));
    b.append(line(4, LogLevel.INFO, "second try", 2));
    b.append(line(5, LogLevel.DEBUG, "::progress:: 100", 2));
    const rows = b.view(NO_FILTER);
    expect(rows.map((r) => (r.marker ? `-- ${r.text}` : r.text))).toEqual([
      "-- Attempt 1", "first try", "boom", "-- Attempt 2", "second try",
    ]);
    expect(b.attempts()).toEqual([1, 2]);
    // one attempt picked: its lines only
    expect(b.view({ ...NO_FILTER, attempt: 2 }).filter((r) => !r.marker).map((r) => r.seq)).toEqual([4]);
  });

  it("marks nothing for a job that ran once", () => {
    const b = new LogBuffer();
    b.append(line(1, LogLevel.INFO, "only", 1));
    expect(b.view(NO_FILTER).some((r) => r.marker)).toBe(false);
  });
});
