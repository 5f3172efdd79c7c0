// Shows the question of `confirmAction` (lib/confirm) in a modal dialog: what will happen, the
// button that does it, and Cancel, which has the focus, so Enter or Escape changes nothing. Mounted
// once, in the signed-in layout.

import { createEffect, onCleanup, Show } from "solid-js";
import { pendingConfirmation } from "../lib/confirm";

export function ConfirmDialog() {
  let dialog: HTMLDialogElement | undefined;
  createEffect(() => {
    if (!dialog) return;
    if (pendingConfirmation() && !dialog.open) dialog.showModal();
    else if (!pendingConfirmation() && dialog.open) dialog.close();
  });
  // A question nobody can answer any more (the layout went away, e.g. signed out) is a "no".
  onCleanup(() => pendingConfirmation()?.answer(false));
  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      data-testid="confirm-dialog"
      aria-labelledby="confirm-question"
      onCancel={(event) => {
        event.preventDefault();
        pendingConfirmation()?.answer(false);
      }}
    >
      <Show when={pendingConfirmation()}>
        {(request) => (
          <>
            <p id="confirm-question" class="confirm-question">
              {request().question}
            </p>
            <Show when={request().detail}>
              <p class="muted">{request().detail}</p>
            </Show>
            <div class="actions">
              <button type="button" class="danger" data-testid="confirm-accept" onClick={() => request().answer(true)}>
                {request().confirmLabel}
              </button>
              <button type="button" data-testid="confirm-cancel" autofocus onClick={() => request().answer(false)}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Show>
    </dialog>
  );
}
