import type { ReactNode } from "react";
import "./ui.css";

export type Tone = "neutral" | "accent" | "ok" | "warn" | "err";

export function StatCard({ label, value, tone = "neutral", icon, testId }: {
  label: string;
  value: ReactNode;
  tone?: Tone;
  icon?: ReactNode;
  testId?: string;
}) {
  return (
    <div className={`stat-card stat-card--${tone}`} data-testid={testId}>
      <div className="stat-card__label">
        {icon}
        {label}
      </div>
      <div className="stat-card__value">{value}</div>
    </div>
  );
}
