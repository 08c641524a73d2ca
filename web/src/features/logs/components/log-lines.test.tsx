import { render } from "@testing-library/react";
import { LogLevel } from "@/gen/hodei/log_stream_pb";
import type { LogLine } from "../utils/log-buffer";
import { LogLines } from "./log-lines";

const lines = (n: number): LogLine[] =>
  Array.from({ length: n }, (_, i) => ({ seq: i + 1, ts: 0, level: i % 2 ? LogLevel.ERROR : LogLevel.INFO, text: `line ${i + 1}`, attempt: 1 }));

describe("LogLines", () => {
  it("puts only a window of 100,000 lines in the DOM, following the newest", () => {
    const rows = lines(100_000);
    const { container } = render(<LogLines rows={rows} count={rows.length} />);
    const rendered = container.querySelectorAll(".log-line");
    expect(rendered.length).toBeLessThan(100);
    expect(rendered[rendered.length - 1]).toHaveTextContent("line 100000");
  });

  it("colours lines by level", () => {
    const rows = lines(2);
    const { container } = render(<LogLines rows={rows} count={2} />);
    const [info, error] = container.querySelectorAll(".log-line");
    expect(info).toHaveClass("log-line--info");
    expect(error).toHaveClass("log-line--error");
    expect(error).toHaveAttribute("data-level", "ERROR");
  });
});
