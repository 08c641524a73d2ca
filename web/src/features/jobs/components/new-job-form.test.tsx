import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Code, ConnectError } from "@connectrpc/connect";
import { JobExecutionService, type QueueJobRequest } from "@/gen/hodei/job_execution_pb";
import { Priority } from "@/gen/hodei/job_pb";
import { renderWithServer } from "@/testing/render-with-server";
import { NewJobForm } from "./new-job-form";

describe("NewJobForm", () => {
  it("shows the server's validation message under the field it names", async () => {
    renderWithServer(<NewJobForm onScheduled={() => {}} />, (router) =>
      router.service(JobExecutionService, {
        queueJob() {
          throw new ConnectError("job_definition.command: must not be empty", Code.InvalidArgument);
        },
      }),
    );
    await userEvent.type(screen.getByLabelText("Job Name"), "nothing to run");
    await userEvent.click(screen.getByRole("button", { name: "Schedule Job" }));
    const alert = await screen.findByRole("alert");
    // in the form's words, not the API's path
    expect(alert).toHaveTextContent(/^Command: must not be empty$/);
    expect(alert.closest(".field")).toContainElement(screen.getByLabelText(/^Command/));
    expect(screen.getByLabelText(/^Command/)).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText(/^Command/)).toHaveAccessibleDescription("Command: must not be empty");
  });

  it("marks the required field and refuses an environment line without '='", async () => {
    const queueJob = vi.fn();
    renderWithServer(<NewJobForm onScheduled={() => {}} />, (router) =>
      router.service(JobExecutionService, { queueJob }),
    );
    expect(screen.getByLabelText(/^Command/)).toHaveAttribute("aria-required", "true");
    expect(screen.getByLabelText("Job Name")).not.toHaveAttribute("aria-required");
    await userEvent.type(screen.getByLabelText(/^Command/), "env");
    await userEvent.type(screen.getByLabelText("Environment"), "A=1{enter}FLAG");
    await userEvent.click(screen.getByRole("button", { name: "Schedule Job" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent('Environment, line 2: expected NAME=value, not "FLAG"');
    expect(screen.getByLabelText("Environment")).toHaveAttribute("aria-invalid", "true");
    expect(queueJob).not.toHaveBeenCalled();
  });

  it("sends every field and reports the new job's id", async () => {
    let received: QueueJobRequest | undefined;
    const onScheduled = vi.fn();
    renderWithServer(<NewJobForm onScheduled={onScheduled} />, (router) =>
      router.service(JobExecutionService, {
        queueJob(req) {
          received = req;
          return { job: { id: "job-42" } };
        },
      }),
    );
    await userEvent.type(screen.getByLabelText("Job Name"), "Test Job");
    await userEvent.type(screen.getByLabelText(/^Command/), "echo");
    await userEvent.type(screen.getByLabelText("Arguments"), "Hello World");
    await userEvent.type(screen.getByLabelText("Environment"), "GREETING=hi");
    await userEvent.selectOptions(screen.getByLabelText("Priority"), "High");
    await userEvent.type(screen.getByLabelText("Timeout (seconds)"), "30");
    await userEvent.click(screen.getByText(/More options/));
    await userEvent.type(screen.getByLabelText("Labels"), "team=data");
    await userEvent.type(screen.getByLabelText("Retries"), "2");
    await userEvent.type(screen.getByLabelText("CPU"), "0.5");
    await userEvent.type(screen.getByLabelText("Memory"), "256M");
    await userEvent.type(screen.getByLabelText("Working directory"), "/tmp");
    await userEvent.type(screen.getByLabelText("Provider"), "local");
    await userEvent.click(screen.getByRole("button", { name: "Schedule Job" }));
    await waitFor(() => expect(onScheduled).toHaveBeenCalledWith("job-42"));
    const def = received?.jobDefinition;
    expect(def?.command).toBe("echo");
    expect(def?.arguments).toEqual(["Hello World"]);
    expect(def?.environment).toEqual({ GREETING: "hi" });
    expect(def?.priority).toBe(Priority.HIGH);
    expect(Number(def?.timeout?.seconds)).toBe(30);
    expect(def?.labels).toEqual({ team: "data" });
    expect(def?.maxRetries).toBe(2);
    expect(def?.resources?.cpuMillis).toBe(500);
    expect(def?.resources?.memoryBytes).toBe(256n * 1024n * 1024n);
    expect(def?.workingDirectory).toBe("/tmp");
    expect(def?.provider).toBe("local");
  });
});
