import { cloneElement, isValidElement, type ReactElement } from "react";
import "./ui.css";

type ControlProps = { "aria-invalid"?: boolean; "aria-describedby"?: string; "aria-required"?: boolean };

/**
 * A labelled form control with an optional hint or error below it; the
 * control is marked invalid and described by the message for screen readers.
 */
export function Field({ label, htmlFor, hint, error, required, children }: {
  label: string;
  htmlFor: string;
  hint?: string;
  error?: string;
  /** Marked with "*" and aria-required. */
  required?: boolean;
  children: ReactElement<ControlProps>;
}) {
  const noteId = `${htmlFor}-note`;
  const note = error || hint;
  const control = isValidElement(children)
    ? cloneElement(children, {
        "aria-invalid": error ? true : undefined,
        "aria-describedby": note ? noteId : undefined,
        "aria-required": required ? true : undefined,
      })
    : children;
  return (
    <div className="field">
      <label htmlFor={htmlFor}>
        {label}
        {required && <span className="field__required" aria-hidden="true"> *</span>}
      </label>
      {control}
      {error ? (
        <div className="field__error" role="alert" id={noteId}>{error}</div>
      ) : (
        hint && <div className="field__hint" id={noteId}>{hint}</div>
      )}
    </div>
  );
}
