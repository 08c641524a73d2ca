import { useEffect, useState } from "react";
import type { AggregatedMetrics } from "@/gen/hodei/metrics_pb";
import { Card } from "@/components/ui/card";
import { Sparkline } from "@/components/ui/sparkline";
import { formatDuration, formatNumber, formatPercent, num } from "@/lib/format";
import { durMs } from "@/lib/proto-time";
import { cpuLoadRatio } from "../utils/metrics-view";
import "./metrics.css";

const SAMPLES = 60;

/** CPU load (with its recent history, as streamed) and uptime. */
export function SystemHealth({ metrics }: { metrics: AggregatedMetrics }) {
  const history = useLoadHistory(metrics);
  const ratio = cpuLoadRatio(metrics.load1, metrics.cpuCount);
  return (
    <Card title="System Health">
      <div className="health">
        <div className="health__row">
          <div>
            <div className="health__muted" title="1-minute load average divided by the number of CPUs: over 100% means processes wait for a CPU">
              Load per CPU (1 min)
            </div>
            <div className="health__big" data-testid="cpu-load">{formatPercent(ratio)}</div>
            <div className="health__muted">
              load {metrics.load1.toFixed(2)} / {metrics.load5.toFixed(2)} / {metrics.load15.toFixed(2)} · {metrics.cpuCount} CPUs
            </div>
          </div>
          <div>
            <div className="health__muted">Uptime</div>
            <div className="health__big" data-testid="uptime">{formatDuration(durMs(metrics.uptime))}</div>
            <div className="health__muted">
              {formatNumber(num(metrics.workers))} workers ({formatNumber(num(metrics.idleWorkers))} idle) · queue {formatNumber(num(metrics.queueDepth))}
            </div>
          </div>
        </div>
        {history.length > 1 ? (
          <Sparkline label="1-minute load average since this page opened" values={history} max={Math.max(1, metrics.cpuCount)} />
        ) : (
          <div className="health__muted">The load chart fills in as samples arrive (every few seconds).</div>
        )}
      </div>
    </Card>
  );
}

/** The load1 samples received since the view opened (the stream's cadence). */
function useLoadHistory(metrics: AggregatedMetrics): number[] {
  const [history, setHistory] = useState<number[]>([]);
  useEffect(() => {
    setHistory((h) => [...h.slice(-(SAMPLES - 1)), metrics.load1]);
  }, [metrics]);
  return history;
}
