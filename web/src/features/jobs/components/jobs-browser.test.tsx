import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { JobExecutionService, type ListJobsRequest } from "@/gen/hodei/job_execution_pb";
import { JobState } from "@/gen/hodei/job_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { JobsBrowser } from "./jobs-browser";

describe("JobsBrowser", () => {
  it("asks the server for filtered, searched pages and follows the page token", async () => {
    const requests: ListJobsRequest[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          requests.push(req);
          const page = req.pageToken === "" ? 1 : 2;
          return {
            jobs: [{ id: `job-p${page}`, state: JobState.FAILED, definition: { name: `page ${page}`, command: "false" } }],
            nextPageToken: page === 1 ? "cursor-2" : "",
            totalCount: 2n,
          };
        },
      }),
    );
    expect(await screen.findByText("job-p1")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Failed" }));
    await waitFor(() => expect(requests.at(-1)?.states).toEqual([JobState.FAILED, JobState.TIMED_OUT]));
    await userEvent.type(screen.getByLabelText("Search jobs by name or ID"), "nightly");
    await waitFor(() => expect(requests.at(-1)?.search).toBe("nightly"));
    await userEvent.click(await screen.findByRole("button", { name: "Next →" }));
    expect(await screen.findByText("job-p2")).toBeInTheDocument();
    expect(requests.at(-1)?.pageToken).toBe("cursor-2");
    expect(screen.getByText(/Page 2/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next →" })).toBeDisabled();
  });

  it("says so when nothing matches", async () => {
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, { listJobs: () => ({ jobs: [] }) }),
    );
    expect(await screen.findByText(/No jobs yet/)).toBeInTheDocument();
  });
});
