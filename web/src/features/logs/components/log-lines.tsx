import { useLayoutEffect, useRef, useState } from "react";
import type { LogLine } from "../utils/log-buffer";
import { visibleRange } from "../utils/visible-range";
import { LogLineRow } from "./log-line-row";

const ROW_HEIGHT = 20;
const OVERSCAN = 20;
const DEFAULT_VIEWPORT = 500;
const USER_SCROLL_WINDOW_MS = 600;

/**
 * Virtualised lines: rows have one fixed height, so only those in view
 * exist in the DOM and 100,000 lines scroll like 100.  While the view is at
 * the bottom it follows new lines, and the newest rows are rendered in the
 * same frame as the data (no wait for a scroll event); scrolling up by hand
 * stops following, scrolling back to the bottom resumes it.
 */
export function LogLines({ rows, count, fit = false }: { rows: readonly LogLine[]; count: number; fit?: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const lastUserInput = useRef(0);
  const [view, setView] = useState({ top: 0, height: DEFAULT_VIEWPORT });

  const height = view.height || DEFAULT_VIEWPORT;
  const top = following.current ? Math.max(0, count * ROW_HEIGHT - height) : view.top;
  const { start, end } = visibleRange(count, top, height, ROW_HEIGHT, OVERSCAN);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && following.current) el.scrollTop = count * ROW_HEIGHT;
  }, [count]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT * 2;
    if (atBottom) following.current = true;
    else if (Date.now() - lastUserInput.current < USER_SCROLL_WINDOW_MS) following.current = false;
    setView({ top: el.scrollTop, height: el.clientHeight });
  };
  const markUserInput = () => {
    lastUserInput.current = Date.now();
  };

  const items = [];
  for (let i = start; i < end; i++) {
    items.push(<LogLineRow key={i} line={rows[i]} style={{ transform: `translateY(${i * ROW_HEIGHT}px)` }} />);
  }
  return (
    <div
      ref={scroller}
      className="log-lines"
      // a short finished log gets a panel its size, not a tall empty one
      style={fit ? { height: `min(60vh, 520px, ${count * ROW_HEIGHT + 16}px)` } : undefined}
      onScroll={onScroll}
      onWheel={markUserInput}
      onTouchMove={markUserInput}
      onPointerDown={markUserInput}
      onKeyDown={markUserInput}
      data-testid="log-lines"
      tabIndex={0}
    >
      <div style={{ height: count * ROW_HEIGHT, position: "relative" }}>{items}</div>
    </div>
  );
}
