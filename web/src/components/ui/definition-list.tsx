import type { ReactNode } from "react";
import "./ui.css";

/** Label/value pairs laid out as a two-column grid. */
export function DefinitionList({ items }: { items: readonly (readonly [string, ReactNode])[] }) {
  return (
    <dl className="deflist">
      {items.map(([term, value]) => (
        <div key={term} className="deflist__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
