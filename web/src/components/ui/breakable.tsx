import { Fragment } from "react";

/**
 * Text that may wrap only after its separators (/ : . ? & = , _ -), so a
 * long URL or path breaks as "unix:///var/run/<wbr>docker.sock", never in the
 * middle of a word.
 */
export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[/:.?&=,_-])/);
  return (
    <span className="breakable">
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </span>
  );
}
