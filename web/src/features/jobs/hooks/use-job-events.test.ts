import { create } from "@bufbuild/protobuf";
import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { GetJobResponseSchema, JobEventKind, WatchJobsResponseSchema, type GetJobResponse } from "@/gen/hodei/job_execution_pb";
import { JobState } from "@/gen/hodei/job_pb";
import { jobKeys } from "../api/jobs-api";
import { applyJobEvent } from "./use-job-events";

function cachedJob(client: QueryClient) {
  client.setQueryData(jobKeys.detail("job-1"), create(GetJobResponseSchema, { job: { id: "job-1", state: JobState.RUNNING, progress: 10 } }));
}

describe("applyJobEvent", () => {
  it("patches progress in place", () => {
    const client = new QueryClient();
    cachedJob(client);
    applyJobEvent(client, create(WatchJobsResponseSchema, { kind: JobEventKind.PROGRESS, jobId: "job-1", progress: 75 }));
    const data = client.getQueryData<GetJobResponse>(jobKeys.detail("job-1"));
    expect(data?.job?.progress).toBe(75);
    expect(data?.job?.state).toBe(JobState.RUNNING);
  });

  it("replaces the job on a state change", () => {
    const client = new QueryClient();
    cachedJob(client);
    applyJobEvent(client, create(WatchJobsResponseSchema, {
      kind: JobEventKind.STATE, jobId: "job-1", state: JobState.SUCCEEDED, job: { id: "job-1", state: JobState.SUCCEEDED, exitCode: 0 },
    }));
    expect(client.getQueryData<GetJobResponse>(jobKeys.detail("job-1"))?.job?.state).toBe(JobState.SUCCEEDED);
  });

  it("keeps the whole definition when the event carries a summary", () => {
    const client = new QueryClient();
    const whole = { command: "printf", arguments: Array.from({ length: 30 }, (_, i) => `arg-${i}`) };
    client.setQueryData(jobKeys.detail("job-1"), create(GetJobResponseSchema, { job: { id: "job-1", state: JobState.RUNNING, definition: whole } }));
    applyJobEvent(client, create(WatchJobsResponseSchema, {
      kind: JobEventKind.STATE, jobId: "job-1", state: JobState.SUCCEEDED,
      job: { id: "job-1", state: JobState.SUCCEEDED, definitionTruncated: true, definition: { command: "printf", arguments: whole.arguments.slice(0, 16) } },
    }));
    const job = client.getQueryData<GetJobResponse>(jobKeys.detail("job-1"))?.job;
    expect(job?.state).toBe(JobState.SUCCEEDED);
    expect(job?.definition?.arguments).toHaveLength(30);
    expect(job?.definitionTruncated).toBe(false);
  });

  it("ignores jobs nobody is looking at", () => {
    const client = new QueryClient();
    applyJobEvent(client, create(WatchJobsResponseSchema, { kind: JobEventKind.PROGRESS, jobId: "job-9", progress: 5 }));
    expect(client.getQueryData(jobKeys.detail("job-9"))).toBeUndefined();
  });

  it("fetches again a job whose first GetJob was still in flight when it changed", async () => {
    const client = new QueryClient();
    let calls = 0;
    let release: (v: GetJobResponse) => void = () => {};
    // a job page is open (an observer); its first answer is the job as it
    // was before the event: RUNNING
    const observer = new QueryObserver<GetJobResponse>(client, {
      queryKey: jobKeys.detail("job-2"),
      queryFn: () => {
        calls++;
        if (calls === 1) return new Promise<GetJobResponse>((r) => (release = r));
        return create(GetJobResponseSchema, { job: { id: "job-2", state: JobState.FAILED } });
      },
    });
    const stop = observer.subscribe(() => {});
    await vi.waitFor(() => expect(calls).toBe(1));
    applyJobEvent(client, create(WatchJobsResponseSchema, {
      kind: JobEventKind.STATE, jobId: "job-2", state: JobState.FAILED, job: { id: "job-2", state: JobState.FAILED },
    }));
    release(create(GetJobResponseSchema, { job: { id: "job-2", state: JobState.RUNNING } }));
    await vi.waitFor(() => expect(client.getQueryData<GetJobResponse>(jobKeys.detail("job-2"))?.job?.state).toBe(JobState.FAILED));
    stop();
  });
});
