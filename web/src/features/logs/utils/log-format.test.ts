import { LogLevel } from "@/gen/hodei/log_stream_pb";
import { displayText } from "./log-format";

const at = (level: LogLevel, text: string) => displayText({ seq: 1, ts: 0, level, text, attempt: 1 });

describe("displayText", () => {
  it("leaves the level word to the badge, so it is not shown twice", () => {
    expect(at(LogLevel.INFO, "INFO processed")).toBe("processed");
    expect(at(LogLevel.WARN, "[WARN] disk almost full")).toBe("disk almost full");
    expect(at(LogLevel.WARN, "warning: low memory")).toBe("low memory");
    expect(at(LogLevel.ERROR, "ERROR: boom")).toBe("boom");
  });
  it("keeps a line whose first word is not its level", () => {
    expect(at(LogLevel.INFO, "Hello World")).toBe("Hello World");
    expect(at(LogLevel.INFO, "ERROR: but classed as info")).toBe("ERROR: but classed as info");
    expect(at(LogLevel.INFO, "INFO")).toBe("INFO");
  });
});
