// Copies a text to the clipboard and says whether it worked. Browsers allow the clipboard API only
// on secure origins (https, localhost); elsewhere the user is asked to copy by hand.

import { createSignal, onCleanup } from "solid-js";

async function copyText(text: string): Promise<boolean> {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

const SHOWN_MS = 2500;

export function CopyButton(props: { text: string; testId?: string; label?: string }) {
  const [outcome, setOutcome] = createSignal<"copied" | "failed" | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  return (
    <button
      type="button"
      data-testid={props.testId}
      onClick={async () => {
        setOutcome((await copyText(props.text)) ? "copied" : "failed");
        clearTimeout(timer);
        timer = setTimeout(() => setOutcome(null), SHOWN_MS);
      }}
    >
      {outcome() === "copied" ? "Copied" : outcome() === "failed" ? "Select and copy it by hand" : (props.label ?? "Copy")}
    </button>
  );
}
