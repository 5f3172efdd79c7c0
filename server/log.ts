// Logger. By default JSON lines, one object per line on stdout, so journald and `jq` can read it;
// `--log-format text` writes lines a person reads in a terminal instead. Request ids travel in the
// fields so one request's lines can be found together.

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "text";
export const LOG_FORMATS: readonly LogFormat[] = ["json", "text"];
const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  base?: LogFields;
}

function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  return { name: err.name, message: err.message, stack: err.stack, cause: err.cause ? serializeError(err.cause) : undefined };
}

/** A field's value in a text line: a plain word as it is, anything else as JSON (quoted, escaped). */
function textValue(value: unknown): string {
  return typeof value === "string" && /^[\w./:@+?=&%~-]+$/.test(value) ? value : (JSON.stringify(value) ?? String(value));
}

/** `record` as one line for a terminal: time, level, message, then key=value; an error's stack on indented lines after it. */
function textLine({ time, level, msg, ...fields }: LogFields): string {
  const pairs = Object.entries(fields).filter(([, v]) => v !== undefined);
  const stack = (fields.err as { stack?: unknown } | undefined)?.stack;
  const line = [
    time,
    String(level).toUpperCase().padEnd(5),
    msg,
    ...pairs.map(([k, v]) => `${k}=${textValue(k === "err" ? ((v as { message?: unknown }).message ?? v) : v)}`),
  ];
  const stackLines = typeof stack === "string" ? `\n${stack.replace(/^/gm, "    ")}` : "";
  return `${line.join(" ")}${stackLines}\n`;
}

export function createLogger({
  level = "info",
  format = "json",
  write = (line) => process.stdout.write(line),
  base = {},
}: LoggerOptions = {}): Logger {
  const min = levelRank[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (levelRank[lvl] < min) return;
    const record: LogFields = { time: new Date().toISOString(), level: lvl, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = k === "err" ? serializeError(v) : v;
    write(format === "text" ? textLine(record) : `${JSON.stringify(record)}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ level, format, write, base: { ...base, ...fields } }),
  };
}
