import { durationMs } from "@bufbuild/protobuf/wkt";
import { Priority } from "@/gen/hodei/job_pb";
import { EMPTY_JOB_FORM, fieldOfServerMessage, humanMessage, parseCpu, parseMemory, toQueueJobRequest } from "./job-form";

describe("job form", () => {
  it("builds the QueueJob request the server expects", () => {
    const req = toQueueJobRequest({
      ...EMPTY_JOB_FORM,
      name: " Long Task ",
      command: "python",
      arguments: "process.py\n\n--verbose mode\n",
      environment: "A=1\nB=x=y\nFLAG=",
      labels: "team=data\n",
      retries: "3",
      cpu: "500m",
      memory: "2G",
      workingDirectory: " /srv/app ",
      provider: "docker-1",
      priority: Priority.CRITICAL,
      timeout: "3600",
    });
    const def = req.jobDefinition!;
    expect(def.name).toBe("Long Task");
    expect(def.arguments).toEqual(["process.py", "--verbose mode"]);
    expect(def.environment).toEqual({ A: "1", B: "x=y", FLAG: "" });
    expect(def.priority).toBe(Priority.CRITICAL);
    expect(durationMs(def.timeout as never)).toBe(3_600_000);
    expect(def.labels).toEqual({ team: "data" });
    expect(def.maxRetries).toBe(3);
    expect(def.resources).toEqual({ cpuMillis: 500, memoryBytes: 2n * 1024n ** 3n });
    expect(def.workingDirectory).toBe("/srv/app");
    expect(def.provider).toBe("docker-1");
  });

  it("refuses an environment line without '=', as the CLI does", () => {
    expect(() => toQueueJobRequest({ ...EMPTY_JOB_FORM, command: "env", environment: "A=1\nFLAG" })).toThrow(
      'Environment, line 2: expected NAME=value, not "FLAG"',
    );
  });

  it("parses CPU and memory as the CLI does, refusing the rest", () => {
    expect(parseCpu("2")).toBe(2000);
    expect(parseCpu("0.5")).toBe(500);
    expect(parseCpu("250m")).toBe(250);
    expect(() => parseCpu("lots")).toThrow(/CPU: expected cores/);
    expect(() => parseCpu("0")).toThrow(/CPU/);
    expect(parseMemory("512M")).toBe(512n * 1024n ** 2n);
    expect(parseMemory("1.5Gi")).toBe(BigInt(1.5 * 1024 ** 3));
    expect(parseMemory("4096")).toBe(4096n);
    expect(() => parseMemory("2 bananas")).toThrow(/Memory: expected a size/);
    expect(() => toQueueJobRequest({ ...EMPTY_JOB_FORM, retries: "101" })).toThrow(/Retries: expected a number from 0 to 100/);
  });

  it("says server messages in the form's words", () => {
    expect(humanMessage("job_definition.command: must not be empty")).toBe("Command: must not be empty");
    expect(humanMessage("job_definition.environment[1X]: invalid variable name")).toBe("Environment (1X): invalid variable name");
    expect(humanMessage("job_definition.resources.cpu_millis: at most 1000000")).toBe("CPU: at most 1000000");
    expect(humanMessage("queue is full")).toBe("queue is full");
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
    expect(() => toQueueJobRequest({ ...EMPTY_JOB_FORM, timeout: "soon" })).toThrow(/Timeout: must be a number/);
  });

  it("finds the field a server message names", () => {
    expect(fieldOfServerMessage("command: must not be empty")).toBe("command");
    expect(fieldOfServerMessage("env[2]: invalid variable name '1X'")).toBe("environment");
    expect(fieldOfServerMessage("job_definition.timeout: at most 30 days")).toBe("timeout");
    expect(fieldOfServerMessage("queue is full")).toBeNull();
  });
});
