import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { errorMessage, fieldOfMessage } from "@/lib/errors";
import { useCreateProvider } from "../hooks/use-provider-mutations";
import {
  EMPTY_PROVIDER_FORM,
  PROVIDER_FIELD_ALIASES,
  PROVIDER_TYPES,
  UNAVAILABLE_NOTE,
  toProviderSpec,
  type ProviderFormValues,
} from "../utils/provider-form";
import "./providers.css";

/** "+ Add Provider": type, connection, labels and capacity; "Create Provider". */
export function AddProviderForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [values, setValues] = useState<ProviderFormValues>(EMPTY_PROVIDER_FORM);
  const [localError, setLocalError] = useState("");
  const create = useCreateProvider();
  const set = <K extends keyof ProviderFormValues>(key: K, value: ProviderFormValues[K]) =>
    setValues((v) => ({ ...v, [key]: value }));

  const message = localError || (create.isError ? errorMessage(create.error) : "");
  const errorField = message ? fieldOfMessage(message, PROVIDER_FIELD_ALIASES) : null;
  const errorFor = (f: keyof ProviderFormValues) => (errorField === f ? message : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError("");
    let spec;
    try {
      spec = toProviderSpec(values);
    } catch (err) {
      setLocalError(errorMessage(err));
      return;
    }
    create.mutate(spec, { onSuccess: (res) => onCreated(res.provider?.name ?? spec.name ?? "") });
  };

  return (
    <form className="provider-form" onSubmit={submit} noValidate aria-label="Add provider">
      {message && !errorField && <div className="form-error" role="alert">{message}</div>}
      <div className="provider-form__row">
        <Field label="Type" htmlFor="provider-type" error={errorFor("type")}>
          <select id="provider-type" value={values.type} onChange={(e) => set("type", e.target.value)}>
            {PROVIDER_TYPES.map((t) => (
              <option key={t.value} value={t.value} disabled={!t.available}>
                {t.available ? t.label : `${t.label} (${UNAVAILABLE_NOTE})`}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" htmlFor="provider-name" error={errorFor("name")} hint="Unique; letters, digits, . _ -">
          <input id="provider-name" value={values.name} onChange={(e) => set("name", e.target.value)} />
        </Field>
      </div>
      <Field label="Endpoint URL" htmlFor="provider-endpoint" error={errorFor("endpoint")} hint="e.g. unix:///var/run/docker.sock or https://k8s:6443">
        <input id="provider-endpoint" className="mono" value={values.endpoint} onChange={(e) => set("endpoint", e.target.value)} />
      </Field>
      <Field label="API Token" htmlFor="provider-token" error={errorFor("token")} hint="Stored by the server and never shown again">
        <input id="provider-token" type="password" autoComplete="off" value={values.token} onChange={(e) => set("token", e.target.value)} />
      </Field>
      <Field label="Labels" htmlFor="provider-labels" error={errorFor("labels")} hint="For scheduling; one key=value per line">
        <textarea id="provider-labels" className="mono" rows={3} value={values.labels} onChange={(e) => set("labels", e.target.value)} />
      </Field>
      <div className="provider-form__row">
        <Field label="Max Memory (GiB)" htmlFor="provider-memory" error={errorFor("maxMemoryGiB")} hint="Empty: unlimited">
          <input id="provider-memory" inputMode="decimal" value={values.maxMemoryGiB} onChange={(e) => set("maxMemoryGiB", e.target.value)} />
        </Field>
        <Field label="Max vCPUs" htmlFor="provider-vcpus" error={errorFor("maxVcpus")} hint="Empty: unlimited">
          <input id="provider-vcpus" inputMode="numeric" value={values.maxVcpus} onChange={(e) => set("maxVcpus", e.target.value)} />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={values.gpu} onChange={(e) => set("gpu", e.target.checked)} />
          GPU Support
        </label>
      </div>
      <div>
        <Button type="submit" variant="primary" busy={create.isPending}>Create Provider</Button>
      </div>
    </form>
  );
}
