import { durationMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@/gen/hodei/job_pb";
import { EMPTY_JOB_FORM, fieldOfServerMessage, toQueueJobRequest } from "./job-form";

describe("job form", () => {
  it("builds the QueueJob request the server expects", () => {
    const req = toQueueJobRequest({
      ...EMPTY_JOB_FORM,
      name: " Long Task ",
      command: "python",
      arguments: "process.py\n\n--verbose mode\n",
      environment: "A=1\nB=x=y\nFLAG",
      priority: Priority.CRITICAL,
      timeout: "3600",
    });
    const def = req.jobDefinition!;
    expect(def.name).toBe("Long Task");
    expect(def.arguments).toEqual(["process.py", "--verbose mode"]);
    expect(def.environment).toEqual({ A: "1", B: "x=y", FLAG: "" });
    expect(def.priority).toBe(Priority.CRITICAL);
    expect(durationMs(def.timeout as never)).toBe(3_600_000);
  });

  it("sends secret variables in their own map", () => {
    const def = toQueueJobRequest({ ...EMPTY_JOB_FORM, command: "deploy", secretEnvironment: "TOKEN=s3cr=t\n" })
      .jobDefinition!;
    expect(def.secretEnvironment).toEqual({ TOKEN: "s3cr=t" });
    expect(def.environment).toEqual({});
    expect(fieldOfServerMessage("secret_env[0]: variable 'A' is also in env")).toBe("secretEnvironment");
  });

  it("leaves the timeout out when empty", () => {
    expect(toQueueJobRequest(EMPTY_JOB_FORM).jobDefinition?.timeout).toBeUndefined();
  });

  it("refuses a timeout that is not a number", () => {
    expect(() => toQueueJobRequest({ ...EMPTY_JOB_FORM, timeout: "soon" })).toThrow(/timeout/);
  });

  it("finds the field a server message names", () => {
    expect(fieldOfServerMessage("command: must not be empty")).toBe("command");
    expect(fieldOfServerMessage("env[2]: invalid variable name '1X'")).toBe("environment");
    expect(fieldOfServerMessage("job_definition.timeout: at most 30 days")).toBe("timeout");
    expect(fieldOfServerMessage("queue is full")).toBeNull();
  });
});
