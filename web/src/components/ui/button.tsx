import type { ButtonHTMLAttributes } from "react";
import "./ui.css";

type Variant = "primary" | "secondary" | "danger" | "ghost";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  busy?: boolean;
}

export function Button({ variant = "secondary", busy = false, disabled, className, children, ...rest }: ButtonProps) {
  const classes = ["btn", `btn--${variant}`, className].filter(Boolean).join(" ");
  return (
    <button type="button" className={classes} disabled={disabled || busy} aria-busy={busy} {...rest}>
      {busy && <span className="spinner spinner--small" aria-hidden />}
      {children}
    </button>
  );
}
