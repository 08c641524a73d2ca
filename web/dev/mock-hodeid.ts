/**
 * DEVELOPMENT ONLY: an in-memory stand-in for hodeid's gRPC-Web API, so the
 * dashboard can be worked on (npm run dev) before or without a real server.
 * The tests that matter run against the real hodeid (e2e/run.mjs).
 *
 *   npx tsx dev/mock-hodeid.ts [port]     (default 8080)
 */
import http from "node:http";
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { JobExecutionService, JobEventKind } from "../src/gen/hodei/job_execution_pb";
import { JobIdSchema, JobSchema, JobState, type Job } from "../src/gen/hodei/job_pb";
import { LogEntrySchema, LogLevel, LogStreamService, type LogEntry } from "../src/gen/hodei/log_stream_pb";
import { MetricsService, TimeRange } from "../src/gen/hodei/metrics_pb";
import { ProviderSchema, ProviderService, ProviderStatus, type Provider } from "../src/gen/hodei/provider_pb";

const jobs = new Map<string, Job>();
const logs = new Map<string, LogEntry[]>();
const providers = new Map<string, Provider>();
const bus = new EventEmitter();
bus.setMaxListeners(0);
const started = Date.now();
let nextId = 1;
const children = new Map<string, ChildProcess>();

providers.set("local", create(ProviderSchema, {
  name: "local", type: "local", status: ProviderStatus.ACTIVE, healthScore: 100,
  configJson: JSON.stringify({ name: "local", type: "local" }), capacity: { maxVcpus: 2 },
}));

function setState(job: Job, state: JobState, reason = ""): void {
  job.state = state;
  job.reason = reason;
  const now = timestampFromMs(Date.now());
  if (state === JobState.RUNNING) job.startedAt = now;
  if (state >= JobState.SUCCEEDED) job.finishedAt = now;
  bus.emit("job", job);
}

function log(job: Job, text: string): void {
  const list = logs.get(job.id) ?? [];
  const level = /^\s*\[?(error|warn|debug)/i.exec(text)?.[1]?.toUpperCase();
  const entry = create(LogEntrySchema, {
    jobId: job.id, sequence: BigInt(list.length + 1), timestamp: timestampFromMs(Date.now()),
    level: level === "ERROR" ? LogLevel.ERROR : level === "WARN" ? LogLevel.WARN : level === "DEBUG" ? LogLevel.DEBUG : LogLevel.INFO,
    line: text, attempt: job.attempt,
  });
  list.push(entry);
  logs.set(job.id, list);
  bus.emit("log", entry);
}

/** Runs the job's command for real (no shell unless it asks for one). */
function run(job: Job): void {
  const def = job.definition!;
  setTimeout(() => {
    if (job.state !== JobState.QUEUED) return;
    setState(job, JobState.RUNNING);
    const child = spawn(def.command, def.arguments, { env: { PATH: process.env.PATH, ...def.environment } });
    children.set(job.id, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        const progress = /^::progress::(\d+)/.exec(line);
        if (progress) {
          job.progress = Number(progress[1]);
          bus.emit("progress", job);
        }
        log(job, line);
      });
    }
    child.on("error", (err) => log(job, `ERROR ${err.message}`));
    child.on("close", (code) => {
      children.delete(job.id);
      if (job.state !== JobState.RUNNING) return;
      job.exitCode = code ?? -1;
      if (code === 0) setState(job, JobState.SUCCEEDED);
      else setState(job, JobState.FAILED, `exit status ${code}`);
    });
  }, 200);
}

function routes(router: ConnectRouter): void {
  router.service(JobExecutionService, {
    queueJob(req) {
      const def = req.jobDefinition;
      if (!def?.command) throw new ConnectError("job_definition.command: must not be empty", Code.InvalidArgument);
      const id = def.jobId?.value || `job-${String(nextId++).padStart(4, "0")}`;
      def.jobId = create(JobIdSchema, { value: id });
      const job = create(JobSchema, {
        id, definition: def, state: JobState.QUEUED, attempt: 1, exitCode: -1,
        progress: -1, queuedBy: req.queuedBy, createdAt: timestampFromMs(Date.now()),
      });
      jobs.set(id, job);
      run(job);
      return { job };
    },
    cancelJob(req) {
      const job = jobs.get(req.jobId);
      if (!job) throw new ConnectError("no such job", Code.NotFound);
      if (job.state >= JobState.SUCCEEDED) throw new ConnectError("job already finished", Code.FailedPrecondition);
      children.get(job.id)?.kill("SIGTERM");
      log(job, "job cancelled by user");
      setState(job, JobState.CANCELLED, "cancelled by user");
      return { job };
    },
    getJob(req) {
      const job = jobs.get(req.jobId);
      if (!job) throw new ConnectError(`job ${req.jobId} not found`, Code.NotFound);
      return { job, history: [] };
    },
    listJobs(req) {
      let list = [...jobs.values()].reverse();
      if (req.states.length) list = list.filter((j) => req.states.includes(j.state));
      if (req.search) list = list.filter((j) => j.id.startsWith(req.search) || j.definition?.name.includes(req.search));
      const size = req.pageSize || 50;
      const offset = Number(req.pageToken || 0);
      return {
        jobs: list.slice(offset, offset + size),
        nextPageToken: offset + size < list.length ? String(offset + size) : "",
        totalCount: BigInt(list.length),
      };
    },
    retryJob(req) {
      const job = jobs.get(req.jobId);
      if (!job) throw new ConnectError("no such job", Code.NotFound);
      job.attempt++;
      setState(job, JobState.QUEUED);
      run(job);
      return { job };
    },
    async *watchJobs(_req, ctx) {
      const queue: Job[] = [];
      const kinds: JobEventKind[] = [];
      let wake: (() => void) | null = null;
      const onJob = (j: Job) => { queue.push(j); kinds.push(JobEventKind.STATE); wake?.(); };
      const onProgress = (j: Job) => { queue.push(j); kinds.push(JobEventKind.PROGRESS); wake?.(); };
      bus.on("job", onJob);
      bus.on("progress", onProgress);
      try {
        while (!ctx.signal.aborted) {
          if (queue.length === 0) await new Promise<void>((r) => { wake = r; ctx.signal.addEventListener("abort", () => r()); });
          while (queue.length) {
            const job = queue.shift()!;
            const kind = kinds.shift()!;
            yield { kind, jobId: job.id, state: job.state, progress: job.progress, job: kind === JobEventKind.STATE ? job : undefined };
          }
        }
      } finally {
        bus.off("job", onJob);
        bus.off("progress", onProgress);
      }
    },
  });
  router.service(LogStreamService, {
    async *subscribeLogs(req, ctx) {
      const job = jobs.get(req.jobId);
      if (!job) throw new ConnectError("no such job", Code.NotFound);
      for (const e of logs.get(req.jobId) ?? []) if (e.sequence > req.afterSequence) yield { entry: e };
      const queue: LogEntry[] = [];
      let wake: (() => void) | null = null;
      const onLog = (e: LogEntry) => { if (e.jobId === req.jobId) { queue.push(e); wake?.(); } };
      const onJob = (j: Job) => { if (j.id === req.jobId) wake?.(); };
      bus.on("log", onLog);
      bus.on("job", onJob);
      try {
        while (!ctx.signal.aborted) {
          while (queue.length) yield { entry: queue.shift()! };
          if (job.state >= JobState.SUCCEEDED) return;
          await new Promise<void>((r) => { wake = r; ctx.signal.addEventListener("abort", () => r()); });
        }
      } finally {
        bus.off("log", onLog);
        bus.off("job", onJob);
      }
    },
    getLogs(req) {
      const entries = (logs.get(req.jobId) ?? []).filter((e) => e.sequence > req.afterSequence);
      return { entries, nextSequence: entries.at(-1)?.sequence ?? req.afterSequence, more: false };
    },
  });
  const metrics = (range: TimeRange) => {
    const all = [...jobs.values()];
    const count = (s: JobState) => BigInt(all.filter((j) => j.state === s).length);
    const byState = [1, 2, 3, 4, 5, 6, 7].map((s) => ({ state: s as JobState, count: count(s as JobState) }));
    const fin = all.filter((j) => j.state >= JobState.SUCCEEDED);
    const buckets = range === TimeRange.TIME_RANGE_1H ? 60 : range === TimeRange.TIME_RANGE_7D ? 28 : range === TimeRange.TIME_RANGE_30D ? 30 : 24;
    const width = { 1: 60_000, 2: 3_600_000, 3: 21_600_000, 4: 86_400_000 }[range || 1] ?? 60_000;
    return {
      range, jobsByState: byState, totalJobs: BigInt(all.length), rangeByState: byState, rangeTotalJobs: BigInt(all.length),
      successRate: fin.length ? Number(count(JobState.SUCCEEDED)) / fin.length : 0,
      avgDuration: durationFromMs(1500), load1: 0.42, load5: 0.3, load15: 0.2, cpuCount: 2,
      uptime: durationFromMs(Date.now() - started), runningJobs: count(JobState.RUNNING), workers: 2n, idleWorkers: 1n,
      trend: Array.from({ length: buckets }, (_, i) => ({
        start: timestampFromMs(Date.now() - (buckets - i) * width), succeeded: BigInt((i * 7) % 5), failed: BigInt(i % 3 === 0 ? 1 : 0), cancelled: 0n,
      })),
      providers: [...providers.values()].map((p) => ({ name: p.name, type: p.type, status: p.status, healthScore: p.healthScore })),
    };
  };
  router.service(MetricsService, {
    getAggregatedMetrics: (req) => ({ metrics: metrics(req.range) }),
    async *watchMetrics(req, ctx) {
      while (!ctx.signal.aborted) {
        yield { metrics: metrics(req.range) };
        await new Promise((r) => setTimeout(r, (req.intervalSeconds || 5) * 1000));
      }
    },
  });
  const setStatus = (name: string, status: ProviderStatus, message: string) => {
    const p = providers.get(name);
    if (!p) throw new ConnectError("no such provider", Code.NotFound);
    p.status = status;
    p.statusMessage = message;
    return { provider: p };
  };
  router.service(ProviderService, {
    listProviders: (req) => ({ providers: [...providers.values()].filter((p) => !req.statuses.length || req.statuses.includes(p.status)) }),
    getProvider(req) {
      const provider = providers.get(req.name);
      if (!provider) throw new ConnectError("no such provider", Code.NotFound);
      return { provider };
    },
    createProvider(req) {
      const s = req.provider!;
      if (!s.name) throw new ConnectError("name: must not be empty", Code.InvalidArgument);
      if (providers.has(s.name)) throw new ConnectError(`name: provider ${s.name} exists`, Code.AlreadyExists);
      const provider = create(ProviderSchema, {
        name: s.name, type: s.type, endpoint: s.endpoint, labels: s.labels, capacity: s.capacity, hasToken: !!s.token,
        status: ProviderStatus.ACTIVE, healthScore: 100,
        configJson: JSON.stringify({ name: s.name, type: s.type, endpoint: s.endpoint, token: s.token ? "***" : "", labels: s.labels }),
      });
      providers.set(s.name, provider);
      return { provider };
    },
    markProviderHealthy: (req) => setStatus(req.name, ProviderStatus.ACTIVE, req.message),
    setProviderMaintenance: (req) => setStatus(req.name, ProviderStatus.MAINTENANCE, req.message),
    shutdownProvider: (req) => setStatus(req.name, ProviderStatus.OFFLINE, req.message),
    getProviderHealthLog: () => ({ entries: [] }),
  });
}

const port = Number(process.argv[2] ?? 8080);
http.createServer(connectNodeAdapter({ routes, grpcWeb: true, connect: false, grpc: false }))
  .listen(port, "127.0.0.1", () => console.log(`mock hodeid: http listening on 127.0.0.1:${port}`));
