import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { JobExecutionService } from "@/gen/hodei/job_execution_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { CancelJobButton } from "./cancel-job-button";

describe("CancelJobButton", () => {
  it("cancels only after confirmation", async () => {
    const cancelled: string[] = [];
    renderWithServer(<CancelJobButton jobId="job-7" />, (router) =>
      router.service(JobExecutionService, {
        cancelJob(req) {
          cancelled.push(req.jobId);
          return {};
        },
      }),
    );
    await userEvent.click(screen.getByRole("button", { name: "Cancel Job" }));
    expect(cancelled).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(cancelled).toEqual([]);
    await userEvent.click(screen.getByRole("button", { name: "Cancel Job" }));
    await userEvent.click(screen.getByRole("button", { name: "Yes, cancel job" }));
    await waitFor(() => expect(cancelled).toEqual(["job-7"]));
  });
});
