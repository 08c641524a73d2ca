import type { ReactNode } from "react";
import "./ui.css";

/** A page title with its main action (e.g. "+ New Job") on the right. */
export function PageHead({ title, action }: { title: string; action?: ReactNode }) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      {action}
    </div>
  );
}
