// The one way an error reaches the screen: a message in an alert, optionally with an action.

import { type JSX, Show } from "solid-js";

export function ErrorMessage(props: { error: { message: string } | string | null | undefined; children?: JSX.Element }) {
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
            <Show when={props.children}>
              <span class="error-actions">{props.children}</span>
            </Show>
          </div>
        );
      }}
    </Show>
  );
}
