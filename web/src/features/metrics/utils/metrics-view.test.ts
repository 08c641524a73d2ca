import { create } from "@bufbuild/protobuf";
import { JobState } from "@/gen/hodei/job_pb";
import { StateCountSchema } from "@/gen/hodei/metrics_pb";
import { countOf, cpuLoadRatio, stateSlices } from "./metrics-view";

const counts = [
  create(StateCountSchema, { state: JobState.SUCCEEDED, count: 7n }),
  create(StateCountSchema, { state: JobState.FAILED, count: 2n }),
  create(StateCountSchema, { state: JobState.TIMED_OUT, count: 1n }),
  create(StateCountSchema, { state: JobState.QUEUED, count: 0n }),
];

describe("metrics view", () => {
  it("adds counts of several states", () => {
    expect(countOf(counts, JobState.FAILED, JobState.TIMED_OUT)).toBe(3);
    expect(countOf(counts, JobState.RUNNING)).toBe(0);
  });
  it("groups slices and drops empty ones", () => {
    expect(stateSlices(counts).map((s) => [s.name, s.value])).toEqual([
      ["Succeeded", 7],
      ["Failed", 3],
    ]);
  });
  it("scales load by CPU count", () => {
    expect(cpuLoadRatio(1, 2)).toBe(0.5);
    expect(cpuLoadRatio(1.5, 0)).toBe(1.5);
  });
});
