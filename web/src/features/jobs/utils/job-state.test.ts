import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { JobDefinitionSchema, JobSchema, JobState } from "@/gen/hodei/job_pb";
import { commandLine, isRetryable, jobDurationMs, statesFor } from "./job-state";

describe("job-state", () => {
  it("maps each filter to the states the server is asked for", () => {
    expect(statesFor("all")).toEqual([]);
    expect(statesFor("running")).toEqual([JobState.ASSIGNED, JobState.RUNNING]);
    expect(statesFor("failed")).toEqual([JobState.FAILED, JobState.TIMED_OUT]);
    expect(statesFor("completed")).toEqual([JobState.SUCCEEDED]);
  });

  it("offers retry only for failed, timed out and cancelled jobs", () => {
    expect(isRetryable(JobState.FAILED)).toBe(true);
    expect(isRetryable(JobState.CANCELLED)).toBe(true);
    expect(isRetryable(JobState.RUNNING)).toBe(false);
    expect(isRetryable(JobState.SUCCEEDED)).toBe(false);
  });

  it("measures duration of finished and running jobs", () => {
    const running = create(JobSchema, { startedAt: timestampFromMs(1_000) });
    expect(jobDurationMs(running, 4_000)).toBe(3_000);
    const done = create(JobSchema, { startedAt: timestampFromMs(1_000), finishedAt: timestampFromMs(1_500) });
    expect(jobDurationMs(done, 9_000)).toBe(500);
    expect(jobDurationMs(create(JobSchema), 9_000)).toBe(-1);
  });

  it("quotes arguments that a shell would split", () => {
    const job = create(JobSchema, {
      definition: create(JobDefinitionSchema, { command: "echo", arguments: ["Hello World", "it's", "-n"] }),
    });
    expect(commandLine(job)).toBe(`echo 'Hello World' 'it'\\''s' -n`);
  });
});
