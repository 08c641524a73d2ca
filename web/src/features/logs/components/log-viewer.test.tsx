import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { LogLevel, LogStreamService, type SubscribeLogsResponse } from "@/gen/hodei/log_stream_pb";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SubscribeLogsResponseSchema } from "@/gen/hodei/log_stream_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { LogViewer } from "./log-viewer";

type Entry = MessageInitShape<typeof SubscribeLogsResponseSchema>;

/** A log stream the test feeds line by line. */
function controllableStream() {
  const pending: Entry[] = [];
  let wake: (() => void) | null = null;
  return {
    push(seq: number, level: LogLevel, line: string) {
      pending.push({ entry: { jobId: "job-1", sequence: BigInt(seq), level, line } });
      wake?.();
    },
    async *serve(): AsyncIterable<Entry> {
      for (;;) {
        while (pending.length) yield pending.shift()!;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

const shownLines = () => Array.from(document.querySelectorAll(".log-line__text")).map((e) => e.textContent);

describe("LogViewer", () => {
  it("streams lines, pauses, resumes, filters and clears", async () => {
    const stream = controllableStream();
    renderWithServer(<LogViewer jobId="job-1" />, (router) =>
      router.service(LogStreamService, {
        subscribeLogs: () => stream.serve() as AsyncIterable<SubscribeLogsResponse>,
      }),
    );
    stream.push(1, LogLevel.INFO, "starting");
    stream.push(2, LogLevel.WARN, "slow disk");
    await waitFor(() => expect(shownLines()).toEqual(["starting", "slow disk"]));
    expect(screen.getByTestId("log-status")).toHaveTextContent("Live");

    await userEvent.click(screen.getByRole("button", { name: "Pause" }));
    stream.push(3, LogLevel.ERROR, "failed to write");
    await waitFor(() => expect(screen.getByTestId("log-status")).toHaveTextContent("1 new lines waiting"));
    expect(shownLines()).toEqual(["starting", "slow disk"]);

    await userEvent.click(screen.getByRole("button", { name: "Resume" }));
    await waitFor(() => expect(shownLines()).toEqual(["starting", "slow disk", "failed to write"]));

    await userEvent.selectOptions(screen.getByLabelText("Minimum log level"), "WARN+");
    expect(shownLines()).toEqual(["slow disk", "failed to write"]);
    await userEvent.type(screen.getByLabelText("Filter logs by text"), "WRITE");
    expect(shownLines()).toEqual(["failed to write"]);
    await userEvent.clear(screen.getByLabelText("Filter logs by text"));
    await userEvent.selectOptions(screen.getByLabelText("Minimum log level"), "All levels");

    await userEvent.click(screen.getByRole("button", { name: "Clear" }));
    expect(shownLines()).toEqual([]);
    expect(screen.getByText(/View cleared/)).toBeInTheDocument();
    stream.push(4, LogLevel.DEBUG, "after clear");
    await waitFor(() => expect(shownLines()).toEqual(["after clear"]));
  });
});
