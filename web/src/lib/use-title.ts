import { useEffect } from "react";

/** Sets the browser tab's title while a page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Hodei Jobs` : "Hodei Jobs";
  }, [title]);
}
