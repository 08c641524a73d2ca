import { useState, type FormEvent } from "react";
import { Priority } from "@/gen/hodei/job_pb";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { errorMessage } from "@/lib/errors";
import { FormError } from "@/lib/key-value";
import { useQueueJob } from "../hooks/use-job-mutations";
import {
  EMPTY_JOB_FORM,
  fieldOfServerMessage,
  humanMessage,
  toQueueJobRequest,
  type JobFormField,
  type JobFormValues,
} from "../utils/job-form";

const PRIORITIES = [
  { value: Priority.LOW, label: "Low" },
  { value: Priority.NORMAL, label: "Normal" },
  { value: Priority.HIGH, label: "High" },
  { value: Priority.CRITICAL, label: "Critical" },
];

/**
 * "+ New Job": what the CLI's `jobs queue` offers.  What the dashboard can
 * check (NAME=value lines, numbers, sizes) it refuses itself; the server
 * validates the rest.  Either message lands under the field it names, in the
 * form's words rather than the API's field paths.
 */
export function NewJobForm({ onScheduled }: { onScheduled: (jobId: string) => void }) {
  const [values, setValues] = useState<JobFormValues>(EMPTY_JOB_FORM);
  const queue = useQueueJob();
  const set = <K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const [localError, setLocalError] = useState<{ field: JobFormField | null; message: string } | null>(null);
  const serverMessage = queue.isError ? errorMessage(queue.error) : "";
  const message = localError ? localError.message : humanMessage(serverMessage);
  const errorField = localError ? localError.field : serverMessage ? fieldOfServerMessage(serverMessage) : null;
  const errorFor = (f: JobFormField) => (errorField === f ? message : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    queue.reset();
    let request;
    try {
      request = toQueueJobRequest(values);
    } catch (err) {
      setLocalError({ field: err instanceof FormError ? (err.field as JobFormField) : null, message: errorMessage(err) });
      return;
    }
    queue.mutate(request, { onSuccess: (res) => onScheduled(res.job?.id ?? "") });
  };

  const text = (field: JobFormField, id: string, props: { mono?: boolean; rows?: number; inputMode?: "numeric" | "decimal" } = {}) => {
    const common = {
      id,
      className: props.mono ? "mono" : undefined,
      value: values[field] as string,
      onChange: (e: { target: { value: string } }) => set(field, e.target.value as never),
    };
    return props.rows ? <textarea {...common} rows={props.rows} /> : <input {...common} inputMode={props.inputMode} />;
  };

  return (
    <form className="job-form" onSubmit={submit} noValidate aria-label="New job">
      {message && !errorField && <div className="form-error" role="alert">{message}</div>}
      <p className="field__hint">Fields marked <span className="field__required">*</span> are required.</p>
      <Field label="Job Name" htmlFor="job-name" error={errorFor("name")} hint="Descriptive name; empty uses the command">
        {text("name", "job-name")}
      </Field>
      <Field label="Command" htmlFor="job-command" required error={errorFor("command")} hint="Program to run, looked up in PATH">
        {text("command", "job-command", { mono: true })}
      </Field>
      <Field label="Arguments" htmlFor="job-args" error={errorFor("arguments")} hint="Optional; one argument per line">
        {text("arguments", "job-args", { mono: true, rows: 3 })}
      </Field>
      <Field label="Environment" htmlFor="job-env" error={errorFor("environment")} hint="One NAME=value per line">
        {text("environment", "job-env", { mono: true, rows: 3 })}
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
          {text("timeout", "job-timeout", { inputMode: "numeric" })}
        </Field>
      </div>
      <details className="job-form__more" open={Boolean(errorField && !["name", "command", "arguments", "environment", "priority", "timeout"].includes(errorField)) || undefined}>
        <summary>More options: labels, retries, resources, directory, provider</summary>
        <Field label="Labels" htmlFor="job-labels" error={errorFor("labels")} hint="One key=value per line, for search and scheduling">
          {text("labels", "job-labels", { mono: true, rows: 2 })}
        </Field>
        <div className="job-form__row">
          <Field label="Retries" htmlFor="job-retries" error={errorFor("retries")} hint="Automatic retries after a failure (0-100)">
            {text("retries", "job-retries", { inputMode: "numeric" })}
          </Field>
          <Field label="CPU" htmlFor="job-cpu" error={errorFor("cpu")} hint="Cores (2, 0.5) or millicores (500m)">
            {text("cpu", "job-cpu")}
          </Field>
          <Field label="Memory" htmlFor="job-memory" error={errorFor("memory")} hint="512M, 2G">
            {text("memory", "job-memory")}
          </Field>
        </div>
        <Field label="Working directory" htmlFor="job-workdir" error={errorFor("workingDirectory")} hint="On the worker; empty: its default">
          {text("workingDirectory", "job-workdir", { mono: true })}
        </Field>
        <Field label="Provider" htmlFor="job-provider" error={errorFor("provider")} hint="Only run on this provider; empty: any">
          {text("provider", "job-provider")}
        </Field>
      </details>
      <div>
        <Button type="submit" variant="primary" busy={queue.isPending}>Schedule Job</Button>
      </div>
    </form>
  );
}
