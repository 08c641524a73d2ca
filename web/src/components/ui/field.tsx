import type { ReactNode } from "react";
import "./ui.css";

/** A labelled form control with an optional hint or error below it. */
export function Field({ label, htmlFor, hint, error, children }: {
  label: string;
  htmlFor: string;
  hint?: string;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {error ? <div className="field__error" role="alert">{error}</div> : hint && <div className="field__hint">{hint}</div>}
    </div>
  );
}
