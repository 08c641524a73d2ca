import { Button } from "./button";
import "./ui.css";

/** Previous/next for cursor pagination, with the page number and total. */
export function Pager({ page, total, hasNext, onPrev, onNext, busy }: {
  page: number;
  total?: string;
  hasNext: boolean;
  onPrev: () => void;
  onNext: () => void;
  busy?: boolean;
}) {
  return (
    <nav className="pager" aria-label="Pagination">
      <Button onClick={onPrev} disabled={page <= 1 || busy}>← Prev</Button>
      <span className="pager__info">
        Page {page}
        {total !== undefined && <> · {total}</>}
      </span>
      <Button onClick={onNext} disabled={!hasNext || busy}>Next →</Button>
    </nav>
  );
}
