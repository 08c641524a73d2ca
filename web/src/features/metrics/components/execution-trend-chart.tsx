import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { TimeRange, type AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { Card } from "@/components/ui/card";
import { num } from "@/lib/format";
import { tsMs } from "@/lib/proto-time";
import "./metrics.css";

/** Line chart of jobs finished per bucket of the range, by outcome. */
export function ExecutionTrendChart({ metrics }: { metrics: AggregatedMetrics }) {
  const data = metrics.trend.map((b) => ({
    label: bucketLabel(tsMs(b.start), metrics.range),
    Succeeded: num(b.succeeded),
    Failed: num(b.failed),
    Cancelled: num(b.cancelled),
  }));
  return (
    <Card title="Execution Trends">
      <div className="chart-box" data-testid="chart-trend">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} margin={{ top: 8, right: 12, left: -16, bottom: 0 }}>
            <CartesianGrid stroke="#2a313b" strokeDasharray="3 3" />
            <XAxis dataKey="label" stroke="#8a94a3" fontSize={11} minTickGap={16} />
            <YAxis allowDecimals={false} stroke="#8a94a3" fontSize={11} />
            <Tooltip contentStyle={{ background: "#1f252d", border: "1px solid #2a313b" }} />
            <Legend />
            <Line type="monotone" dataKey="Succeeded" stroke="#35c27c" dot={false} strokeWidth={2} isAnimationActive={false} />
            <Line type="monotone" dataKey="Failed" stroke="#f0544f" dot={false} strokeWidth={2} isAnimationActive={false} />
            <Line type="monotone" dataKey="Cancelled" stroke="#f0c341" dot={false} strokeWidth={2} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </Card>
  );
}

function bucketLabel(ms: number, range: TimeRange): string {
  const d = new Date(ms);
  const hm = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  switch (range) {
    case TimeRange.TIME_RANGE_7D:
      return `${d.toLocaleDateString(undefined, { weekday: "short" })} ${hm}`;
    case TimeRange.TIME_RANGE_30D:
      return d.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    default:
      return hm;
  }
}
