import { screen } from "@testing-library/react";
import { Code, ConnectError } from "@connectrpc/connect";
import { JobExecutionService } from "@/gen/hodei/job_execution_pb";
import { JobState } from "@/gen/hodei/job_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { JobDetail } from "./job-detail";

function serveJob(state: JobState, progress = -1) {
  return (router: Parameters<Parameters<typeof renderWithServer>[1]>[0]) =>
    router.service(JobExecutionService, {
      getJob: (req) => {
        if (req.jobId !== "job-1") throw new ConnectError("not found", Code.NotFound);
        return { job: { id: "job-1", state, progress, attempt: 2, definition: { name: "nightly", command: "make", arguments: ["all"] } } };
      },
    });
}

describe("JobDetail", () => {
  it("offers Retry for a failed job, not Cancel", async () => {
    renderWithServer(<JobDetail jobId="job-1" />, serveJob(JobState.FAILED));
    expect(await screen.findByRole("heading", { name: "nightly" })).toBeInTheDocument();
    expect(screen.getByTestId("job-state")).toHaveTextContent("Failed");
    expect(screen.getByTestId("job-command")).toHaveTextContent("make all");
    expect(screen.getByText("attempt 2")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Cancel Job" })).toBeNull();
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("shows progress and Cancel Job while running", async () => {
    renderWithServer(<JobDetail jobId="job-1" />, serveJob(JobState.RUNNING, 40));
    expect(await screen.findByRole("progressbar")).toHaveAttribute("aria-valuenow", "40");
    expect(screen.getByRole("button", { name: "Cancel Job" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("says so when a running job never reported progress", async () => {
    renderWithServer(<JobDetail jobId="job-1" />, serveJob(JobState.RUNNING));
    expect(await screen.findByText(/No progress reported/)).toBeInTheDocument();
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("says when the job does not exist", async () => {
    renderWithServer(<JobDetail jobId="job-404" />, serveJob(JobState.RUNNING));
    expect(await screen.findByRole("alert")).toHaveTextContent("Job job-404 does not exist");
    // nothing to try again: a link back to the jobs instead
    expect(screen.queryByRole("button", { name: "Try again" })).toBeNull();
    expect(screen.getByRole("link", { name: "See all jobs" })).toHaveAttribute("href", "/jobs");
  });
});
