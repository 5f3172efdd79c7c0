// Webhook deliveries: each alert change is queued once per enabled webhook (a bounded queue; the
// oldest waiting are given up past it), posted as JSON with the webhook's secret header, and on
// failure retried with a doubling, capped backoff through the one-shot job "alerts.deliver" on the
// injected clock. Every attempt is recorded on its delivery, so the UI shows what was sent and how
// it went.
import { hostname } from "node:os";
import type { Clock } from "../clock";
import type { WriteBatcher } from "../db";
import { InvalidInputError, LimitExceededError, NotFoundError } from "../errors";
import { readResponseHead } from "../http/response-head";
import type { Jobs } from "../jobs";
import type { Logger } from "../log";
import type { AlertsStore, Delivery, Webhook } from "./store";

const FIRST_RETRY_MS = 10_000;
const MAX_RETRY_MS = 10 * 60_000;
/** Attempts before a delivery is given up (the last retry comes about 40 minutes after the first try). */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** Finished deliveries kept at most, and for how long. */
const KEEP_DELIVERIES = 1000;
const KEEP_DELIVERIES_MS = 30 * 86_400_000;
/** Deliveries posted in one run of the job; more wait for the next run, right after. */
const DELIVERIES_PER_RUN = 10;
/** The start of a receiver's answer kept when it refused a delivery. */
const MAX_ERROR_CHARS = 300;
const JOB = "alerts.deliver";
export const MAX_WEBHOOKS = 20;
export const MAX_DELIVERIES_PAGE = 200;
const MAX_URL_CHARS = 2000;
const MAX_SECRET_CHARS = 1000;
export const DEFAULT_SECRET_HEADER = "X-Outpost-Secret";
/** Why a delivery was not sent when its webhook's secret does not open, as the UI shows it. */
const UNREADABLE_SECRET = "not sent: the webhook's secret cannot be decrypted (was <data>/secret replaced?); set its secret again";
/** A header name as HTTP allows it (a token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

export interface WebhookInput {
  name: string;
  url: string;
  secretHeader: string;
}

/** Checks a webhook as a user wrote it; throws InvalidInputError naming what is wrong. */
function checkWebhook(input: WebhookInput): WebhookInput {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100) throw new InvalidInputError("name must be 1 to 100 characters.");
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new InvalidInputError("url is not a URL.");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || input.url.length > MAX_URL_CHARS) {
    throw new InvalidInputError(`url must be an http:// or https:// URL of at most ${MAX_URL_CHARS} characters.`);
  }
  if (!HEADER_NAME.test(input.secretHeader)) throw new InvalidInputError("secretHeader must be an HTTP header name.");
  return { name, url: url.href, secretHeader: input.secretHeader };
}

function checkSecret(secret: string | null): string | null {
  if (secret === null || secret === "") return null;
  if (secret.length > MAX_SECRET_CHARS || /[\r\n]/.test(secret)) {
    throw new InvalidInputError(`secret must be one line of at most ${MAX_SECRET_CHARS} characters.`);
  }
  return secret;
}

/** The wait before retry number `attempt` (1 for the first retry): 10 s doubling, at most 10 minutes. */
export const retryDelayMs = (attempt: number) => Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));

export interface WebhookDeliveryOptions {
  store: AlertsStore;
  writes: WriteBatcher;
  clock: Clock;
  jobs: Jobs;
  log: Logger;
  /** How long one POST may take. */
  timeoutMs: number;
  /** Deliveries waiting at most; past it the oldest are given up. */
  maxQueued: number;
}

export function createWebhookDelivery({ store, writes, clock, jobs, log, timeoutMs, maxQueued }: WebhookDeliveryOptions) {
  const scheduleNext = () => {
    const dueMs = store.nextDueMs();
    if (dueMs !== null) jobs.at(JOB, dueMs, deliverDue);
  };

  /** Posts one delivery; resolves with its outcome (never throws). */
  const post = async (delivery: Delivery): Promise<{ status: number | null; error: string | null; final?: boolean }> => {
    const webhook = store.webhook(delivery.webhookId);
    if (!webhook) return { status: null, error: "webhook deleted", final: true };
    let secret: string | null;
    try {
      secret = store.webhookSecret(webhook.id);
    } catch (err) {
      // Never sent without its secret: the receiver would take it for a forgery, or worse, not. Retried
      // as usual, so that a secret set again (or the old <data>/secret put back) still gets it there.
      log.error("alert webhook secret does not open", { webhook: webhook.id, err });
      return { status: null, error: UNREADABLE_SECRET };
    }
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "Outpost alerts" };
    if (secret !== null) headers[webhook.secretHeader] = secret;
    try {
      const response = await fetch(webhook.url, {
        method: "POST",
        headers,
        body: delivery.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel();
        return { status: response.status, error: null };
      }
      // Only the start is kept, so only the start is read: a receiver may answer without end.
      const { text } = await readResponseHead(response, MAX_ERROR_CHARS).catch(() => ({ text: "" }));
      return { status: response.status, error: `HTTP ${response.status}${text ? `: ${text}` : ""}` };
    } catch (err) {
      const timedOut = err instanceof Error && err.name === "TimeoutError";
      return { status: null, error: timedOut ? `no answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err) };
    }
  };

  async function deliverDue(): Promise<void> {
    const due = store.dueDeliveries(clock.now(), DELIVERIES_PER_RUN);
    const outcomes = await Promise.all(due.map(async (delivery) => ({ delivery, ...(await post(delivery)) })));
    const nowMs = clock.now();
    await writes.run(() => {
      for (const { delivery, status, error, final } of outcomes) {
        const attempts = delivery.attempts + 1;
        const delivered = error === null;
        const givenUp = !delivered && (attempts >= MAX_DELIVERY_ATTEMPTS || final === true);
        store.recordAttempt(
          delivery.id,
          {
            state: delivered ? "delivered" : givenUp ? "failed" : "pending",
            attempts,
            nextAttemptMs: delivered || givenUp ? null : nowMs + retryDelayMs(attempts),
            status,
            error,
          },
          nowMs,
        );
      }
    });
    for (const { delivery, error } of outcomes) {
      if (error !== null) log.warn("alert webhook delivery failed", { delivery: delivery.id, webhook: delivery.webhookId, error });
    }
    scheduleNext();
  }

  return {
    /**
     * Queues `payload` for every enabled webhook (inside the caller's write: call from `writes.run`),
     * giving up the oldest waiting deliveries past the bound. Call `kick` after the write committed.
     */
    enqueue(alertId: number, event: string, payload: unknown): void {
      const body = JSON.stringify(payload);
      const nowMs = clock.now();
      for (const webhook of store.webhooks()) {
        if (webhook.enabled) store.insertDelivery(webhook.id, alertId, event, body, nowMs);
      }
      const excess = store.pendingCount() - maxQueued;
      if (excess > 0) store.dropOldestPending(excess, nowMs);
    },

    /** Arms the delivery job for the next waiting delivery (at start, and after queueing). */
    kick: scheduleNext,

    /** The newest deliveries, of one webhook or of all, at most `limit` (1 to MAX_DELIVERIES_PAGE). */
    deliveries(webhookId: number | null, limit: number): Delivery[] {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DELIVERIES_PAGE) {
        throw new InvalidInputError(`limit must be between 1 and ${MAX_DELIVERIES_PAGE}.`);
      }
      return store.listDeliveries(webhookId, limit);
    },

    /** Deletes finished deliveries past KEEP_DELIVERIES or older than 30 days. */
    prune: (): Promise<number> => writes.run(() => store.pruneDeliveries(clock.now() - KEEP_DELIVERIES_MS, KEEP_DELIVERIES)),

    webhooks: (): Webhook[] => store.webhooks(),

    /** Adds an enabled webhook. InvalidInputError for a bad one; LimitExceededError past MAX_WEBHOOKS. */
    createWebhook(input: WebhookInput & { secret: string | null }): Promise<Webhook> {
      const checked = checkWebhook(input);
      const secret = checkSecret(input.secret);
      return writes.run(() => {
        if (store.webhookCount() >= MAX_WEBHOOKS) throw new LimitExceededError(`At most ${MAX_WEBHOOKS} webhooks.`);
        return store.insertWebhook({ ...checked, secret }, clock.now());
      });
    },

    /** Changes a webhook; `secret` replaces the secret when given (null or "" removes it), else it stays. */
    async updateWebhook(id: number, input: WebhookInput & { enabled: boolean; secret?: string | null }): Promise<Webhook> {
      const checked = checkWebhook(input);
      const secret = input.secret === undefined ? undefined : checkSecret(input.secret);
      const webhook = await writes.run(() => {
        if (secret !== undefined) store.setWebhookSecret(id, secret);
        return store.updateWebhook(id, { ...checked, enabled: input.enabled });
      });
      if (!webhook) throw new NotFoundError(`No webhook ${id}.`);
      return webhook;
    },

    /** Deletes a webhook and its deliveries. */
    async deleteWebhook(id: number): Promise<boolean> {
      if (!(await writes.run(() => store.deleteWebhook(id)))) throw new NotFoundError(`No webhook ${id}.`);
      return true;
    },

    /** Queues a test message to one webhook (enabled or not), recorded like any delivery. */
    async sendTest(id: number): Promise<Delivery> {
      const webhook = store.webhook(id);
      if (!webhook) throw new NotFoundError(`No webhook ${id}.`);
      const payload = JSON.stringify({ event: "test", host: hostname(), alert: null });
      const delivery = await writes.run(() => {
        const queued = store.insertDelivery(id, 0, "test", payload, clock.now());
        // Test messages count against the same bound as alerts' deliveries.
        const excess = store.pendingCount() - maxQueued;
        if (excess > 0) store.dropOldestPending(excess, clock.now());
        return queued;
      });
      scheduleNext();
      return delivery;
    },
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;
