import { Cell, Legend, Pie, PieChart, ResponsiveContainer, Tooltip } from "recharts";
import type { AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { Card } from "@/components/ui/card";
import { Empty } from "@/components/ui/states";
import { stateSlices } from "../utils/metrics-view";
import "./metrics.css";

/** Pie chart of the range's jobs by state. */
export function JobDistributionChart({ metrics }: { metrics: AggregatedMetrics }) {
  const slices = stateSlices(metrics.rangeByState);
  return (
    <Card title="Job Distribution">
      <div className="chart-box" data-testid="chart-distribution">
        {slices.length === 0 ? (
          <Empty>No jobs in this range.</Empty>
        ) : (
          <ResponsiveContainer width="100%" height="100%">
            <PieChart>
              <Pie data={slices} dataKey="value" nameKey="name" innerRadius="45%" outerRadius="80%" isAnimationActive={false}>
                {slices.map((s) => <Cell key={s.name} fill={s.color} stroke="var(--surface)" />)}
              </Pie>
              <Tooltip contentStyle={{ background: "#1f252d", border: "1px solid #2a313b" }} />
              <Legend />
            </PieChart>
          </ResponsiveContainer>
        )}
      </div>
    </Card>
  );
}
