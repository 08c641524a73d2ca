import { useState, type FormEvent } from "react";
import { Priority } from "@/gen/hodei/job_pb";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { errorMessage } from "@/lib/errors";
import { useQueueJob } from "../hooks/use-job-mutations";
import { EMPTY_JOB_FORM, fieldOfServerMessage, toQueueJobRequest, type JobFormValues } from "../utils/job-form";

const PRIORITIES = [
  { value: Priority.NORMAL, label: "Normal" },
  { value: Priority.HIGH, label: "High" },
  { value: Priority.CRITICAL, label: "Critical" },
];

/** "+ New Job": the server validates; its message lands under the field it names. */
export function NewJobForm({ onScheduled }: { onScheduled: (jobId: string) => void }) {
  const [values, setValues] = useState<JobFormValues>(EMPTY_JOB_FORM);
  const queue = useQueueJob();
  const set = <K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const [localError, setLocalError] = useState("");
  const serverMessage = localError || (queue.isError ? errorMessage(queue.error) : "");
  const errorField = serverMessage ? fieldOfServerMessage(serverMessage) : null;
  const errorFor = (f: keyof JobFormValues) => (errorField === f ? serverMessage : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError("");
    let request;
    try {
      request = toQueueJobRequest(values);
    } catch (err) {
      setLocalError(errorMessage(err));
      return;
    }
    queue.mutate(request, { onSuccess: (res) => onScheduled(res.job?.id ?? "") });
  };

  return (
    <form className="job-form" onSubmit={submit} noValidate aria-label="New job">
      {serverMessage && !errorField && <div className="form-error" role="alert">{serverMessage}</div>}
      <Field label="Job Name" htmlFor="job-name" error={errorFor("name")} hint="Descriptive name; empty uses the command">
        <input id="job-name" value={values.name} onChange={(e) => set("name", e.target.value)} />
      </Field>
      <Field label="Command" htmlFor="job-command" error={errorFor("command")} hint="Program to run, looked up in PATH">
        <input id="job-command" className="mono" value={values.command} onChange={(e) => set("command", e.target.value)} />
      </Field>
      <Field label="Arguments" htmlFor="job-args" error={errorFor("arguments")} hint="Optional; one argument per line">
        <textarea id="job-args" className="mono" rows={3} value={values.arguments} onChange={(e) => set("arguments", e.target.value)} />
      </Field>
      <Field label="Environment" htmlFor="job-env" error={errorFor("environment")} hint="One NAME=value per line">
        <textarea id="job-env" className="mono" rows={3} value={values.environment} onChange={(e) => set("environment", e.target.value)} />
      </Field>
      <Field label="Secret variables" htmlFor="job-secrets" error={errorFor("secretEnvironment")}
        hint="One NAME=value per line: stored encrypted, never shown again, masked as *** in the log">
        <textarea id="job-secrets" className="mono" rows={2} autoComplete="off" spellCheck={false}
          value={values.secretEnvironment} onChange={(e) => set("secretEnvironment", e.target.value)} />
      </Field>
      <div className="job-form__row">
        <Field label="Priority" htmlFor="job-priority" error={errorFor("priority")}>
          <select id="job-priority" value={values.priority} onChange={(e) => set("priority", Number(e.target.value) as Priority)}>
            {PRIORITIES.map((p) => <option key={p.value} value={p.value}>{p.label}</option>)}
          </select>
        </Field>
        <Field label="Timeout (seconds)" htmlFor="job-timeout" error={errorFor("timeout")} hint="Empty: no timeout">
          <input id="job-timeout" inputMode="numeric" value={values.timeout} onChange={(e) => set("timeout", e.target.value)} />
        </Field>
      </div>
      <div>
        <Button type="submit" variant="primary" busy={queue.isPending}>Schedule Job</Button>
      </div>
    </form>
  );
}
