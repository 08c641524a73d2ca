import type { ReactNode } from "react";
import type { Tone } from "./stat-card";
import "./ui.css";

/** A coloured status label; `pulse` animates the dot (running things). */
export function Badge({ tone, pulse = false, children }: { tone: Tone; pulse?: boolean; children: ReactNode }) {
  return (
    <span className={`badge badge--${tone}`}>
      <span className={pulse ? "badge__dot badge__dot--pulse" : "badge__dot"} aria-hidden />
      {children}
    </span>
  );
}
