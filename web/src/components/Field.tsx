// The `.field` layout every form shares: a caption, the control (an input, a select, a textarea),
// and an optional muted hint under it. The label wraps the control, so the caption names it.

import { type JSX, Show } from "solid-js";

export interface FieldProps {
  label: string;
  /** A muted line under the control. */
  hint?: string;
  /** Classes for the label besides `field`, e.g. its place in a grid. */
  class?: string;
  children: JSX.Element;
}

export function Field(props: FieldProps) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is `children`, placed inside the label.
    <label class={props.class ? `field ${props.class}` : "field"}>
      <span>{props.label}</span>
      {props.children}
      <Show when={props.hint}>
        <small class="muted">{props.hint}</small>
      </Show>
    </label>
  );
}
