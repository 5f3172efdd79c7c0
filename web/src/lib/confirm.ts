// The one way an irreversible action asks first (revoking, deleting, changing who may do what):
// `confirmAction` puts the question up and resolves whether the user went ahead. The question is
// shown by the ConfirmDialog of the signed-in layout, one at a time.

import { createSignal } from "solid-js";

export interface ConfirmRequest {
  /** The question, naming the thing: `Delete the user "olga"?` */
  question: string;
  /** What follows from it, e.g. "Their sessions end. This cannot be undone." */
  detail?: string;
  /** The button that goes ahead, named for the action: "Delete user". */
  confirmLabel: string;
}

export interface PendingConfirmation extends ConfirmRequest {
  /** The user's answer: true to go ahead. */
  answer: (goAhead: boolean) => void;
}

const [pendingConfirmation, setPendingConfirmation] = createSignal<PendingConfirmation | null>(null);

/** The question waiting for an answer, for the dialog that shows it. */
export { pendingConfirmation };

/** Asks the user to confirm; resolves true when they go ahead, false when they cancel (or another question replaces this one). */
export function confirmAction(request: ConfirmRequest): Promise<boolean> {
  pendingConfirmation()?.answer(false);
  return new Promise((resolve) => {
    const pending: PendingConfirmation = {
      ...request,
      answer: (goAhead) => {
        if (pendingConfirmation() === pending) setPendingConfirmation(null);
        resolve(goAhead);
      },
    };
    setPendingConfirmation(pending);
  });
}
