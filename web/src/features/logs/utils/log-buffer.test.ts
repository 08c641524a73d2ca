import { LogLevel } from "@/gen/hodei/log_stream_pb";
import { LogBuffer, NO_FILTER, type LogLine } from "./log-buffer";

const line = (seq: number, level: LogLevel, text: string): LogLine => ({ seq, ts: seq, level, text });

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
    expect(b.view({ text: "", minLevel: LogLevel.WARN }).map((l) => l.seq)).toEqual([3, 4]);
    expect(b.view({ text: "HELLO", minLevel: LogLevel.UNSPECIFIED }).map((l) => l.seq)).toEqual([2, 4]);
    expect(b.view({ text: "hello", minLevel: LogLevel.ERROR }).map((l) => l.seq)).toEqual([4]);
  });

  it("extends a cached view with new lines only", () => {
    const b = filled();
    const first = b.view({ text: "hello", minLevel: LogLevel.UNSPECIFIED });
    b.append(line(5, LogLevel.INFO, "hello again"));
    const second = b.view({ text: "hello", minLevel: LogLevel.UNSPECIFIED });
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
    expect(b.view({ text: "", minLevel: LogLevel.ERROR }).length).toBe(10_000);
    expect(b.view({ text: "line 9999", minLevel: LogLevel.UNSPECIFIED }).length).toBe(11);
  });
});
