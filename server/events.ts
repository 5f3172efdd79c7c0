// The one typed event map and an in-process publish/subscribe bus. Every change publishes one
// event; GraphQL subscriptions and caches only listen. Each subscriber has a bounded queue: a
// subscriber that falls too far behind is ended with an error instead of growing memory without
// limit. Behind the EventBus interface so a bus shared between instances can replace it.

import { LimitExceededError } from "./errors";

/**
 * Event types, merged in from each feature's folder:
 * `declare module "../events" { interface EventMap { "kv.changed": KvChange } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging from the features.
export interface EventMap {}
export type Topic = keyof EventMap & string;

export interface SubscribeOptions<T> {
  filter?: (event: T) => boolean;
  /** Events held for a slow consumer before it is dropped. */
  maxQueued?: number;
}

export interface EventBus {
  publish<K extends Topic>(topic: K, event: EventMap[K]): void;
  /** Synchronous listener, called in publish order; returns the unsubscribe function. */
  on<K extends Topic>(topic: K, listener: (event: EventMap[K]) => void): () => void;
  /** An async iterator of events from now on; `return()` unsubscribes. */
  subscribe<K extends Topic>(topic: K, options?: SubscribeOptions<EventMap[K]>): AsyncIterableIterator<EventMap[K]>;
  listenerCount(topic: Topic): number;
}

export function createEventBus(): EventBus {
  const listeners = new Map<Topic, Set<(event: unknown) => void>>();

  const on: EventBus["on"] = (topic, listener) => {
    let set = listeners.get(topic);
    if (!set) {
      set = new Set();
      listeners.set(topic, set);
    }
    const entry = listener as (event: unknown) => void;
    set.add(entry);
    return () => set.delete(entry);
  };

  const subscribe = <K extends Topic>(topic: K, { filter, maxQueued = 1000 }: SubscribeOptions<EventMap[K]> = {}) => {
    const queue: EventMap[K][] = [];
    let waiting: ((result: IteratorResult<EventMap[K]>) => void) | null = null;
    let failWaiting: ((err: Error) => void) | null = null;
    let failure: Error | null = null;
    let done = false;

    const finish = () => {
      done = true;
      off();
      queue.length = 0;
    };
    const off = on(topic, (event) => {
      if (done || (filter && !filter(event))) return;
      if (waiting) {
        const resolve = waiting;
        waiting = failWaiting = null;
        resolve({ value: event, done: false });
      } else if (queue.length >= maxQueued) {
        failure = new LimitExceededError(`Subscriber fell more than ${maxQueued} events behind and was dropped.`);
        finish();
      } else {
        queue.push(event);
      }
    });

    const iterator: AsyncIterableIterator<EventMap[K]> = {
      next() {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as EventMap[K], done: false });
        if (failure) {
          const err = failure;
          failure = null;
          return Promise.reject(err);
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          waiting = resolve;
          failWaiting = reject;
        });
      },
      return() {
        finish();
        waiting?.({ value: undefined, done: true });
        waiting = failWaiting = null;
        return Promise.resolve({ value: undefined, done: true });
      },
      throw(err) {
        finish();
        failWaiting?.(err as Error);
        waiting = failWaiting = null;
        return Promise.reject(err);
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };

  return {
    publish(topic, event) {
      const set = listeners.get(topic);
      if (set) for (const listener of [...set]) listener(event);
    },
    on,
    subscribe,
    listenerCount: (topic) => listeners.get(topic)?.size ?? 0,
  };
}
