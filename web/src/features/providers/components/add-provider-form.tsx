import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { errorMessage, fieldOfMessage } from "@/lib/errors";
import { useCreateProvider, useUpdateProvider } from "../hooks/use-provider-mutations";
import {
  EMPTY_PROVIDER_FORM,
  PROVIDER_FIELD_ALIASES,
  PROVIDER_TYPES,
  UNAVAILABLE_NOTE,
  toProviderSpec,
  typeOptions,
  type ProviderFormValues,
} from "../utils/provider-form";
import "./providers.css";

/**
 * "+ Add Provider": type, connection, labels, capacity and the type's own
 * options; "Create Provider".  With `initial` (Edit), the same form saves
 * the existing provider: its type and name are fixed, an empty token keeps
 * the stored one.
 */
export function AddProviderForm({ onCreated, initial }: { onCreated: (name: string) => void; initial?: ProviderFormValues }) {
  const editing = initial !== undefined;
  const [values, setValues] = useState<ProviderFormValues>(initial ?? EMPTY_PROVIDER_FORM);
  const [localError, setLocalError] = useState("");
  const createProvider = useCreateProvider();
  const updateProvider = useUpdateProvider();
  const create = editing ? updateProvider : createProvider;
  const shown = typeOptions(values.type);
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
    <form className="provider-form" onSubmit={submit} noValidate aria-label={editing ? "Edit provider" : "Add provider"}>
      {message && !errorField && <div className="form-error" role="alert">{message}</div>}
      <div className="provider-form__row">
        <Field label="Type" htmlFor="provider-type" error={errorFor("type")}>
          <select id="provider-type" value={values.type} disabled={editing} onChange={(e) => set("type", e.target.value)}>
            {PROVIDER_TYPES.map((t) => (
              <option key={t.value} value={t.value} disabled={!t.available}>
                {t.available ? t.label : `${t.label} (${UNAVAILABLE_NOTE})`}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Name" htmlFor="provider-name" required error={errorFor("name")} hint="Unique; letters, digits, . _ -">
          <input id="provider-name" value={values.name} readOnly={editing} onChange={(e) => set("name", e.target.value)} />
        </Field>
      </div>
      <Field label="Endpoint URL" htmlFor="provider-endpoint" error={errorFor("endpoint")} hint="e.g. unix:///var/run/docker.sock or https://k8s:6443">
        <input id="provider-endpoint" className="mono" value={values.endpoint} onChange={(e) => set("endpoint", e.target.value)} />
      </Field>
      <Field label="API Token" htmlFor="provider-token" error={errorFor("token")} hint={editing ? "Empty keeps the stored token" : "Stored by the server and never shown again"}>
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
        <Field label="Max workers" htmlFor="provider-workers" error={errorFor("maxWorkers")} hint="At once; empty: the type's default">
          <input id="provider-workers" inputMode="numeric" value={values.maxWorkers} onChange={(e) => set("maxWorkers", e.target.value)} />
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={values.gpu} onChange={(e) => set("gpu", e.target.checked)} />
          GPU Support
        </label>
      </div>
      {(shown.image || shown.network || shown.ephemeral) && (
        <div className="provider-form__row">
          {shown.image && (
            <Field label="Worker image" htmlFor="provider-image" error={errorFor("image")} hint="Empty: the image hodeid builds (hodei-worker)">
              <input id="provider-image" className="mono" value={values.image} onChange={(e) => set("image", e.target.value)} />
            </Field>
          )}
          {shown.network && (
            <Field label="Network" htmlFor="provider-network" error={errorFor("network")} hint="Empty: hodei-workers (isolated)">
              <input id="provider-network" className="mono" value={values.network} onChange={(e) => set("network", e.target.value)} />
            </Field>
          )}
          {shown.ephemeral && (
            <label className="checkbox">
              <input type="checkbox" checked={values.ephemeral} onChange={(e) => set("ephemeral", e.target.checked)} />
              Ephemeral: one job per worker
            </label>
          )}
        </div>
      )}
      <div>
        <Button type="submit" variant="primary" busy={create.isPending}>{editing ? "Save Provider" : "Create Provider"}</Button>
      </div>
    </form>
  );
}
