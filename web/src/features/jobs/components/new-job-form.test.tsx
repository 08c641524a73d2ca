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
          throw new ConnectError("command: must not be empty", Code.InvalidArgument);
        },
      }),
    );
    await userEvent.type(screen.getByLabelText("Job Name"), "nothing to run");
    await userEvent.click(screen.getByRole("button", { name: "Schedule Job" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("command: must not be empty");
    expect(alert.closest(".field")).toContainElement(screen.getByLabelText("Command"));
    expect(screen.getByLabelText("Command")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Command")).toHaveAccessibleDescription("command: must not be empty");
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
    await userEvent.type(screen.getByLabelText("Command"), "echo");
    await userEvent.type(screen.getByLabelText("Arguments"), "Hello World");
    await userEvent.type(screen.getByLabelText("Environment"), "GREETING=hi");
    await userEvent.selectOptions(screen.getByLabelText("Priority"), "High");
    await userEvent.type(screen.getByLabelText("Timeout (seconds)"), "30");
    await userEvent.click(screen.getByRole("button", { name: "Schedule Job" }));
    await waitFor(() => expect(onScheduled).toHaveBeenCalledWith("job-42"));
    const def = received?.jobDefinition;
    expect(def?.command).toBe("echo");
    expect(def?.arguments).toEqual(["Hello World"]);
    expect(def?.environment).toEqual({ GREETING: "hi" });
    expect(def?.priority).toBe(Priority.HIGH);
    expect(Number(def?.timeout?.seconds)).toBe(30);
  });
});
