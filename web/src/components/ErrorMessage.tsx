// The one way an error reaches the screen: a message in an alert, optionally with actions (or a
// button that tries again); and the same under a list row, for the error of that row's action.

import { type JSX, Show } from "solid-js";

type ShownError = { message: string } | string | null | undefined;

export interface ErrorMessageProps {
  error: ShownError;
  /** Shows a button that calls this, e.g. a list's reload; used in place of `children`. */
  onRetry?: () => void;
  /** The retry button's text. */
  retryLabel?: string;
  /** Actions beside the message. */
  children?: JSX.Element;
}

export function ErrorMessage(props: ErrorMessageProps) {
  return (
    <Show when={props.error}>
      {(error) => {
        const message = () => {
          const shown = error();
          return typeof shown === "string" ? shown : shown.message;
        };
        return (
          <div class="error" role="alert">
            <span data-testid="error">{message()}</span>
            <Show when={props.onRetry || props.children}>
              <span class="error-actions">
                {props.onRetry ? (
                  <button type="button" onClick={() => props.onRetry?.()}>
                    {props.retryLabel ?? "Try again"}
                  </button>
                ) : (
                  props.children
                )}
              </span>
            </Show>
          </div>
        );
      }}
    </Show>
  );
}

/** The error of one list row's action, under that row; nothing while there is none. */
export function RowErrorMessage(props: { error: ShownError }) {
  return (
    <Show when={props.error}>
      {(error) => (
        <div class="row-message">
          <ErrorMessage error={error()} />
        </div>
      )}
    </Show>
  );
}
