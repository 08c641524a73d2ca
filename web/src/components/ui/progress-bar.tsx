import "./ui.css";

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const clamped = Math.max(0, Math.min(100, value));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={clamped}>
      <div className="progress__fill" style={{ width: `${clamped}%` }} />
      <span className="progress__text">{clamped}%</span>
    </div>
  );
}
