// The busy flag and error of a user's action, so every form shows progress and every failure the
// same way: a running action cannot be started twice, and starting it again clears its old error.

import { type Accessor, createSignal } from "solid-js";
import { type GraphQLRequestError, toRequestError } from "./graphql";

export interface Action<Args extends unknown[], Result> {
  /** Runs the action unless it is running; resolves its result, or undefined when it failed or was running. */
  run: (...args: Args) => Promise<Result | undefined>;
  busy: Accessor<boolean>;
  error: Accessor<GraphQLRequestError | null>;
  clearError: () => void;
}

export function createAction<Args extends unknown[], Result>(perform: (...args: Args) => Promise<Result>): Action<Args, Result> {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<GraphQLRequestError | null>(null);
  async function run(...args: Args): Promise<Result | undefined> {
    if (busy()) return undefined;
    setBusy(true);
    setError(null);
    try {
      return await perform(...args);
    } catch (failure) {
      setError(toRequestError(failure));
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { run, busy, error, clearError: () => setError(null) };
}

export interface RowActions<Kind extends string> {
  /** Runs `perform` for the row `id` unless that row is busy; its error replaces the row's last one. */
  run: <Result>(id: string, kind: Kind, perform: () => Promise<Result>) => Promise<Result | undefined>;
  /** What the row is doing now, if anything. */
  busy: (id: string) => Kind | undefined;
  error: (id: string) => GraphQLRequestError | undefined;
  clearError: (id: string) => void;
}

/** Actions on the rows of a list (users, sessions, keys): each row has its own busy state and error. */
export function createRowActions<Kind extends string>(): RowActions<Kind> {
  const [busy, setBusy] = createSignal<Readonly<Record<string, Kind>>>({});
  const [errors, setErrors] = createSignal<Readonly<Record<string, GraphQLRequestError>>>({});
  const without = <T>(record: Readonly<Record<string, T>>, id: string) => {
    const { [id]: _removed, ...rest } = record;
    return rest;
  };
  async function run<Result>(id: string, kind: Kind, perform: () => Promise<Result>): Promise<Result | undefined> {
    if (busy()[id]) return undefined;
    setBusy((all) => ({ ...all, [id]: kind }));
    setErrors((all) => without(all, id));
    try {
      return await perform();
    } catch (failure) {
      setErrors((all) => ({ ...all, [id]: toRequestError(failure) }));
      return undefined;
    } finally {
      setBusy((all) => without(all, id));
    }
  }
  return {
    run,
    busy: (id) => busy()[id],
    error: (id) => errors()[id],
    clearError: (id) => setErrors((all) => without(all, id)),
  };
}
