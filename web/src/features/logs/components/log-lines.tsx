import { useEffect, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { LogLine } from "../utils/log-buffer";
import { LogLineRow } from "./log-line-row";

const ROW_HEIGHT = 20;

/**
 * Virtualised lines: only the rows on screen exist in the DOM, so 100,000
 * lines scroll as smoothly as 100.  While the view is at the bottom it
 * follows new lines; scrolling up stops following.
 */
export function LogLines({ rows, count }: { rows: readonly LogLine[]; count: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
    initialRect: { width: 800, height: 500 },
  });

  useEffect(() => {
    if (following.current && count > 0) virtualizer.scrollToIndex(count - 1, { align: "end" });
  }, [count, virtualizer]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) following.current = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT * 2;
  };

  return (
    <div ref={scroller} className="log-lines" onScroll={onScroll} data-testid="log-lines" tabIndex={0}>
      <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
        {virtualizer.getVirtualItems().map((item) => (
          <LogLineRow
            key={item.key}
            line={rows[item.index]}
            style={{ transform: `translateY(${item.start}px)` }}
          />
        ))}
      </div>
    </div>
  );
}
