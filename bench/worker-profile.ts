import http from 'node:http';
import type { Database } from '../src/persistence/mongo';

/**
 * What the worker does while a benchmark waits for convergence, from two sources read every few
 * seconds: the app's /metrics (sync jobs done and their time, by job name) and the embedded
 * server's `readStats` command (queries, collection scans and documents read per collection and
 * per query shape since its start: tools/embedded-mongo ReadStats). Between two samples: jobs per second by kind, mean
 * time of a job by kind, documents read per job, and the collections that read the most. On a
 * real MongoDB (no readStats) only the jobs.
 */

interface JobCounters {
  /** By job name: jobs done (every outcome) and the sum of their durations (s). */
  count: Map<string, number>;
  seconds: Map<string, number>;
}

interface Counted {
  queries: number;
  scans: number;
  documentsRead: number;
}

interface ReadCounters {
  namespaces: Record<string, Counted>;
  /** By query shape: `db.collection [filter fields] sort [fields] <index or COLLSCAN>`. */
  shapes: Record<string, Counted>;
}

interface Sample {
  at: number;
  jobs: JobCounters;
  reads?: ReadCounters;
}

export interface ProfileWindow {
  seconds: number;
  jobsPerSecond: Record<string, number>;
  meanJobMs: Record<string, number>;
  /** Documents read by the server per job done (every job kind together); undefined without readStats. */
  documentsPerJob?: number;
  queriesPerJob?: number;
  /** The collections that read the most documents in the window: name → documents read. */
  topCollections?: Record<string, number>;
  /** The query shapes that read the most documents in the window: shape → documents read (queries). */
  topShapes?: Record<string, string>;
  /** Collection scans in the window: shape → scans. */
  scans?: Record<string, number>;
}

const JOB_LINE = /^scim_sync_(jobs_total|job_duration_seconds_sum)\{([^}]*)\}\s+([0-9.eE+-]+)$/;

export class WorkerProfiler {
  private last: Sample | undefined;
  readonly windows: { label: string; window: ProfileWindow }[] = [];

  constructor(
    private readonly port: number,
    private readonly db: Database,
  ) {}

  /** A window from the previous sample to now (undefined at the first sample). */
  async sample(label: string): Promise<ProfileWindow | undefined> {
    const now: Sample = { at: performance.now(), jobs: await this.jobs() };
    const reads = await this.reads();
    if (reads) now.reads = reads;
    const before = this.last;
    this.last = now;
    if (!before) return undefined;
    const window = difference(before, now);
    this.windows.push({ label, window });
    return window;
  }

  private async jobs(): Promise<JobCounters> {
    const text = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: this.port, path: '/metrics' }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
    const counters: JobCounters = { count: new Map(), seconds: new Map() };
    for (const line of text.split('\n')) {
      const m = JOB_LINE.exec(line);
      if (!m) continue;
      const job = /job="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
      const into = m[1] === 'jobs_total' ? counters.count : counters.seconds;
      into.set(job, (into.get(job) ?? 0) + Number(m[3]));
    }
    return counters;
  }

  private async reads(): Promise<ReadCounters | undefined> {
    try {
      return (await this.db.connection.db!.command({ readStats: 1 })) as unknown as ReadCounters;
    } catch {
      return undefined; // a real MongoDB
    }
  }
}

function difference(a: Sample, b: Sample): ProfileWindow {
  const seconds = (b.at - a.at) / 1000;
  const jobsPerSecond: Record<string, number> = {};
  const meanJobMs: Record<string, number> = {};
  let jobs = 0;
  for (const [job, n] of b.jobs.count) {
    const done = n - (a.jobs.count.get(job) ?? 0);
    if (done <= 0) continue;
    jobs += done;
    jobsPerSecond[job] = round(done / seconds);
    meanJobMs[job] = round((1000 * ((b.jobs.seconds.get(job) ?? 0) - (a.jobs.seconds.get(job) ?? 0))) / done);
  }
  const window: ProfileWindow = { seconds: round(seconds), jobsPerSecond, meanJobMs };
  if (a.reads && b.reads) {
    let documents = 0;
    let queries = 0;
    const byCollection: [string, number][] = [];
    for (const [ns, c] of Object.entries(b.reads.namespaces)) {
      const p = a.reads.namespaces[ns];
      const read = c.documentsRead - (p?.documentsRead ?? 0);
      documents += read;
      queries += c.queries - (p?.queries ?? 0);
      if (read > 0) byCollection.push([ns.slice(ns.indexOf('.') + 1), read]);
    }
    if (jobs > 0) {
      window.documentsPerJob = round(documents / jobs);
      window.queriesPerJob = round(queries / jobs);
    }
    window.topCollections = Object.fromEntries(byCollection.sort((x, y) => y[1] - x[1]).slice(0, 4));
    const shapes = Object.entries(b.reads.shapes)
      .map(([shape, c]) => {
        const p = a.reads!.shapes[shape];
        return { shape: shape.slice(shape.indexOf('.') + 1), read: c.documentsRead - (p?.documentsRead ?? 0), queries: c.queries - (p?.queries ?? 0), scans: c.scans - (p?.scans ?? 0) };
      })
      .filter((x) => x.queries > 0);
    window.topShapes = Object.fromEntries(
      [...shapes]
        .sort((x, y) => y.read - x.read)
        .slice(0, 3)
        .map((x) => [x.shape, `${x.read} (${x.queries} queries)`]),
    );
    const scans = shapes.filter((x) => x.scans > 0).map((x) => [x.shape, x.scans] as [string, number]);
    if (scans.length > 0) window.scans = Object.fromEntries(scans);
  }
  return window;
}

const round = (x: number) => Math.round(x * 10) / 10;

export function describeWindow(w: ProfileWindow): string {
  const kinds = Object.keys(w.jobsPerSecond)
    .map((k) => `${k} ${w.jobsPerSecond[k]}/s (${w.meanJobMs[k]} ms)`)
    .join(', ');
  const reads =
    w.documentsPerJob === undefined
      ? ''
      : `; ${w.documentsPerJob} documents and ${w.queriesPerJob} queries per job, most read: ${JSON.stringify(w.topCollections)}, by shape: ${JSON.stringify(w.topShapes)}`;
  return `jobs: ${kinds || 'none'}${reads}${w.scans ? `; scans: ${JSON.stringify(w.scans)}` : ''}`;
}
