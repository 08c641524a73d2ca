/**
 * Times the Jobs page's first page (ListJobs, page size 25, as the dashboard
 * asks for it) against a running hodeid, over gRPC-Web on loopback: what the
 * browser waits for.  Prints JSON with p50/p99 per query.
 *   node --import tsx scripts/bench-list-jobs.ts http://127.0.0.1:8080 [rounds]
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { JobExecutionService } from "../src/gen/hodei/job_execution_pb";
import { JobState } from "../src/gen/hodei/job_pb";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8080";
const rounds = Number(process.argv[3] ?? 50);
const client = createClient(JobExecutionService, createGrpcWebTransport({ baseUrl, useBinaryFormat: true }));

const queries = {
  all: { states: [] as JobState[], search: "" },
  running: { states: [JobState.ASSIGNED, JobState.RUNNING], search: "" },
  failed: { states: [JobState.FAILED, JobState.TIMED_OUT], search: "" },
  completed: { states: [JobState.SUCCEEDED], search: "" },
  queued: { states: [JobState.QUEUED], search: "" },
  searchName: { states: [] as JobState[], search: "seed job 123456" },
  searchIdPrefix: { states: [] as JobState[], search: "job-" },
};

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

// The first call after start-up is timed on its own: hodeid may still be
// re-queueing the stored queued jobs, and SQLite's page cache is cold.
const cold0 = performance.now();
await client.listJobs({ pageSize: 25 });
const coldFirstCallMs = +(performance.now() - cold0).toFixed(2);

const results: Record<string, unknown> = { coldFirstCallMs };
for (const [name, q] of Object.entries(queries)) {
  const times: number[] = [];
  let total = 0n;
  let rows = 0;
  let secondPageMs = 0;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const res = await client.listJobs({ ...q, pageSize: 25 });
    times.push(performance.now() - t0);
    total = res.totalCount;
    rows = res.jobs.length;
    if (i === 0 && res.nextPageToken) {
      const t1 = performance.now();
      await client.listJobs({ ...q, pageSize: 25, pageToken: res.nextPageToken });
      secondPageMs = performance.now() - t1;
    }
  }
  times.sort((a, b) => a - b);
  results[name] = {
    rows, totalCount: Number(total), p50Ms: +percentile(times, 0.5).toFixed(2), p99Ms: +percentile(times, 0.99).toFixed(2),
    maxMs: +times.at(-1)!.toFixed(2), secondPageMs: +secondPageMs.toFixed(2),
  };
}
console.log(JSON.stringify({ baseUrl, rounds, results }, null, 2));
