import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { JobExecutionService, type ListJobsRequest } from "@/gen/hodei/job_execution_pb";
import { JobState } from "@/gen/hodei/job_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { MAX_LIST_REQUESTS } from "../hooks/use-job-list";
import { JobsBrowser } from "./jobs-browser";

describe("JobsBrowser", () => {
  it("asks the server for filtered, searched pages and follows the page token", async () => {
    const requests: ListJobsRequest[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          requests.push(req);
          const page = req.pageToken === "" ? 1 : 2;
          const count = page === 1 ? req.pageSize : 1;
          return {
            jobs: Array.from({ length: count }, (_, i) => ({ id: i ? `job-p${page}-${i}` : `job-p${page}`, state: JobState.FAILED, definition: { name: `page ${page}`, command: "false" } })),
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

  it("takes the filter and the search from the URL, and offers Queued and Cancelled", async () => {
    const requests: ListJobsRequest[] = [];
    renderWithServer(
      <JobsBrowser />,
      (router) =>
        router.service(JobExecutionService, {
          listJobs(req) {
            requests.push(req);
            return { jobs: [{ id: "job-c", state: JobState.CANCELLED, definition: { name: "nightly", command: "x" } }], totalCount: 1n };
          },
        }),
      "/jobs?state=cancelled&q=nightly",
    );
    expect(await screen.findByText("job-c")).toBeInTheDocument();
    expect(requests[0].states).toEqual([JobState.CANCELLED]);
    expect(requests[0].search).toBe("nightly");
    expect(screen.getByRole("button", { name: "Cancelled" })).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByLabelText("Search jobs by name or ID")).toHaveValue("nightly");
    await userEvent.click(screen.getByRole("button", { name: "Queued" }));
    await waitFor(() => expect(requests.at(-1)?.states).toEqual([JobState.QUEUED]));
  });

  it("fills a page that the server ended early (bounded by bytes) from the next tokens", async () => {
    const requests: ListJobsRequest[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          requests.push(req);
          const from = req.pageToken === "" ? 0 : Number(req.pageToken);
          const jobs = Array.from({ length: Math.min(10, req.pageSize) }, (_, i) => ({ id: `job-${from + i}`, definition: { name: "big" } }));
          return { jobs, nextPageToken: String(from + jobs.length), totalCount: 100n };
        },
      }),
    );
    expect(await screen.findByText("job-24")).toBeInTheDocument();
    expect(screen.getByText("job-0")).toBeInTheDocument();
    expect(requests.map((r) => [r.pageToken, r.pageSize])).toEqual([["", 25], ["10", 15], ["20", 5]]);
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    expect(await screen.findByText("job-49")).toBeInTheDocument();
    expect(requests.at(-3)?.pageToken).toBe("25");
  });

  it("shows a total the server stopped counting at as a lower bound (10,000+)", async () => {
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs: () => ({ jobs: [{ id: "job-1", definition: { name: "one" } }], totalCount: 10000n, totalIsLowerBound: true }),
      }),
    );
    expect(await screen.findByText("job-1")).toBeInTheDocument();
    expect(screen.getByText(/10,000\+ jobs/)).toBeInTheDocument();
  });

  it("says so when nothing matches", async () => {
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, { listJobs: () => ({ jobs: [] }) }),
    );
    expect(await screen.findByText(/No jobs yet/)).toBeInTheDocument();
  });

  it("follows the tokens of empty pages of a bounded search to the first page with jobs", async () => {
    const tokens: string[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          tokens.push(req.pageToken);
          if (req.pageToken !== "scan-3") return { jobs: [], nextPageToken: `scan-${tokens.length}`, totalCount: 1n };
          return { jobs: [{ id: "job-far", state: JobState.SUCCEEDED, definition: { name: "far", command: "true" } }], totalCount: 1n };
        },
      }),
    );
    expect(await screen.findByText("job-far")).toBeInTheDocument();
    expect(tokens).toEqual(["", "scan-1", "scan-2", "scan-3"]);
    expect(screen.queryByText(/No jobs/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next →" })).toBeDisabled();
  });

  it("offers Next, not 'No jobs match.', when an empty page still has a token", async () => {
    const tokens: string[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          tokens.push(req.pageToken);
          const n = tokens.length;
          if (n <= 3 * MAX_LIST_REQUESTS) return { jobs: [], nextPageToken: `scan-${n}`, totalCount: 1n };
          return { jobs: [{ id: "job-last", state: JobState.FAILED, definition: { name: "xy", command: "false" } }], totalCount: 1n };
        },
      }),
    );
    // the first list (no search) scans MAX_LIST_REQUESTS pages and stops
    expect(await screen.findByText(/No matches in the jobs searched so far/)).toBeInTheDocument();
    expect(tokens).toHaveLength(MAX_LIST_REQUESTS);
    // pasted, not typed: on a loaded machine the debounce could end between
    // two keys, and a search for "x" would take some of the requests counted
    await userEvent.click(screen.getByLabelText("Search jobs by name or ID"));
    await userEvent.paste("xy");
    await waitFor(() => expect(tokens).toHaveLength(2 * MAX_LIST_REQUESTS));
    expect(tokens[MAX_LIST_REQUESTS]).toBe(""); /* a new search starts at the top */
    expect(await screen.findByText(/No matches in the jobs searched so far/)).toBeInTheDocument();
    expect(screen.queryByText("No jobs match.")).not.toBeInTheDocument();
    expect(screen.getByText(/Page 1 · 1 jobs/)).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    await waitFor(() => expect(tokens).toHaveLength(3 * MAX_LIST_REQUESTS));
    expect(tokens[2 * MAX_LIST_REQUESTS]).toBe(`scan-${2 * MAX_LIST_REQUESTS}`);
    expect(await screen.findByText(/Page 2/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Next →" }));
    expect(await screen.findByText("job-last")).toBeInTheDocument();
    expect(screen.getByText(/Page 3/)).toBeInTheDocument();
  });

  it("says 'No jobs match.' without a pager when an empty page has no token", async () => {
    const requests: ListJobsRequest[] = [];
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs(req) {
          requests.push(req);
          return req.search === "" ? { jobs: [{ id: "job-1", definition: { name: "one" } }], totalCount: 1n } : { jobs: [] };
        },
      }),
    );
    expect(await screen.findByText("job-1")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Search jobs by name or ID"), "zz");
    expect(await screen.findByText("No jobs match.")).toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Pagination" })).not.toBeInTheDocument();
    expect(requests.filter((r) => r.search === "zz")).toHaveLength(1);
  });

  it("keeps the pager on an empty last page so the user can go back", async () => {
    renderWithServer(<JobsBrowser />, (router) =>
      router.service(JobExecutionService, {
        listJobs: (req) =>
          req.pageToken === ""
            ? { jobs: Array.from({ length: req.pageSize }, (_, i) => ({ id: `job-${i + 1}`, definition: { name: "one" } })), nextPageToken: "scan-1", totalCount: 1n }
            : { jobs: [], totalCount: 1n },
      }),
    );
    await userEvent.click(await screen.findByRole("button", { name: "Next →" }));
    expect(await screen.findByText("No more jobs match.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "← Prev" }));
    expect(await screen.findByText("job-1")).toBeInTheDocument();
  });
});
