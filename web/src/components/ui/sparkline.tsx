/** A tiny SVG line chart for a handful of recent samples (no chart library). */
export function Sparkline({ values, max, label, width = 240, height = 48 }: {
  values: readonly number[];
  max?: number;
  label: string;
  width?: number;
  height?: number;
}) {
  const top = Math.max(max ?? 0, ...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / top) * (height - 2) - 1).toFixed(1)}`);
  return (
    <svg className="sparkline" role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" width="100%" height={height}>
      {points.length > 1 && (
        <>
          <polygon points={`0,${height} ${points.join(" ")} ${width},${height}`} fill="rgba(79,140,255,0.18)" />
          <polyline points={points.join(" ")} fill="none" stroke="var(--accent)" strokeWidth="2" vectorEffect="non-scaling-stroke" />
        </>
      )}
    </svg>
  );
}
