/** 0-100 as a number and a coloured bar. */
export function HealthScore({ score }: { score: number }) {
  const color = score >= 80 ? "var(--ok)" : score >= 50 ? "var(--warn)" : "var(--err)";
  return (
    <span className="health-score" aria-label={`Health score ${score}`}>
      <span>{score}</span>
      <span className="health-score__bar">
        <span className="health-score__fill" style={{ width: `${score}%`, background: color, display: "block" }} />
      </span>
    </span>
  );
}
