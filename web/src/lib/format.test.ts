import { formatBytes, formatDuration, formatPercent } from "./format";

describe("format", () => {
  it("formats durations at each scale", () => {
    expect(formatDuration(250)).toBe("250 ms");
    expect(formatDuration(2500)).toBe("2.5 s");
    expect(formatDuration(125_000)).toBe("2m 5s");
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe("3h 1m");
    expect(formatDuration(-1)).toBe("—");
  });
  it("formats bytes and percentages", () => {
    expect(formatBytes(0)).toBe("—");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(2 * 1024 ** 3)).toBe("2.0 GiB");
    expect(formatPercent(0.9512)).toBe("95.1%");
  });
});
