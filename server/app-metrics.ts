// Application metrics: GraphQL operations (count, errors, latency histogram by operation name) and
// gauges features declare (open terminals, runs, uploads, sockets), read by GET /metrics and the
// appMetrics query. Operation names come from clients, so at most MAX_OPERATION_NAMES are kept
// apart; the rest count together under OTHER_OPERATIONS.

/** Upper bounds of the latency buckets, in milliseconds. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500] as const;
export const MAX_OPERATION_NAMES = 100;
export const OTHER_OPERATIONS = "(other)";
export const ANONYMOUS_OPERATION = "(anonymous)";

export interface OperationStats {
  name: string;
  /** query, mutation or subscription. */
  type: string;
  count: number;
  errors: number;
  /** Operations that took at most each LATENCY_BUCKETS_MS bound (cumulative, as Prometheus counts them). */
  bucketCounts: number[];
  totalMs: number;
}

export interface AppGauge {
  /** Snake case, without the outpost_ prefix: `terminals_open`. */
  name: string;
  help: string;
  value: number;
}

export interface AppMetrics {
  /** Counts one GraphQL operation that took `durationMs` (a subscription: once, when it starts). */
  recordOperation(name: string | null, type: string, durationMs: number, failed: boolean): void;
  /** Declares a gauge read whenever the metrics are read; a name is declared once. */
  gauge(name: string, help: string, read: () => number): void;
  operations(): OperationStats[];
  gauges(): AppGauge[];
}

export function createAppMetrics(): AppMetrics {
  const operations = new Map<string, OperationStats>();
  const gauges = new Map<string, { help: string; read: () => number }>();
  return {
    recordOperation(name, type, durationMs, failed) {
      let key = `${type} ${name ?? ANONYMOUS_OPERATION}`;
      if (!operations.has(key) && operations.size >= MAX_OPERATION_NAMES) key = `${type} ${OTHER_OPERATIONS}`;
      let stats = operations.get(key);
      if (!stats) {
        stats = { name: key.slice(type.length + 1), type, count: 0, errors: 0, bucketCounts: LATENCY_BUCKETS_MS.map(() => 0), totalMs: 0 };
        operations.set(key, stats);
      }
      stats.count += 1;
      if (failed) stats.errors += 1;
      stats.totalMs += durationMs;
      const counts = stats.bucketCounts;
      LATENCY_BUCKETS_MS.forEach((bound, i) => {
        if (durationMs <= bound) counts[i] = (counts[i] ?? 0) + 1;
      });
    },
    gauge(name, help, read) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`App metric ${name} must be snake case.`);
      if (gauges.has(name)) throw new Error(`App metric ${name} is declared twice.`);
      gauges.set(name, { help, read });
    },
    operations: () => [...operations.values()].map((s) => ({ ...s, bucketCounts: [...s.bucketCounts] })),
    gauges: () => [...gauges].map(([name, { help, read }]) => ({ name, help, value: read() })),
  };
}
