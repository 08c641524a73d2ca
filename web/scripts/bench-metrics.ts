/**
 * Times GetAggregatedMetrics per range against a running hodeid (what each
 * WatchMetrics tick costs the server).  Prints JSON with p50/max in ms.
 *   node --import tsx scripts/bench-metrics.ts http://127.0.0.1:8080 [rounds]
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { MetricsService, TimeRange } from "../src/gen/hodei/metrics_pb";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8080";
const rounds = Number(process.argv[3] ?? 10);
const client = createClient(MetricsService, createGrpcWebTransport({ baseUrl, useBinaryFormat: true }));
const out: Record<string, { p50Ms: number; maxMs: number }> = {};
for (const [name, range] of Object.entries({ "1h": TimeRange.TIME_RANGE_1H, "24h": TimeRange.TIME_RANGE_24H, "7d": TimeRange.TIME_RANGE_7D, "30d": TimeRange.TIME_RANGE_30D })) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await client.getAggregatedMetrics({ range });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  out[name] = { p50Ms: +times[Math.floor(times.length / 2)].toFixed(2), maxMs: +times.at(-1)!.toFixed(2) };
}
console.log(JSON.stringify({ getAggregatedMetrics: out }));
