// The one way a success is confirmed: a short "Saved" (or what was done) that shows for a few
// seconds after each success and then goes, so it never stands beside a later error.

import { createEffect, createSignal, on, onCleanup, Show } from "solid-js";

/** One success to confirm; make a new one for each, so the same text shows again. */
export interface SavedNotice {
  text: string;
}

/** A notice for a success just now, saying `text`. */
export const savedNotice = (text = "Saved"): SavedNotice => ({ text });

const SHOWN_MS = 4000;

export function Saved(props: { notice: SavedNotice | null | undefined; class?: string; testId?: string }) {
  const [shown, setShown] = createSignal<SavedNotice | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  createEffect(
    on(
      () => props.notice,
      (notice) => {
        clearTimeout(timer);
        setShown(notice ?? null);
        if (notice) timer = setTimeout(() => setShown(null), SHOWN_MS);
      },
    ),
  );
  onCleanup(() => clearTimeout(timer));
  return (
    <Show when={shown()}>
      {(notice) => (
        <p class={props.class ? `success ${props.class}` : "success"} data-testid={props.testId ?? "success"} role="status">
          {notice().text}
        </p>
      )}
    </Show>
  );
}
