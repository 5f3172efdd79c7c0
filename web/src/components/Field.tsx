// The `.field` layout every form shares: a caption, the control (an input, a select, a textarea),
// an optional muted hint under it, and what is wrong with its value (lib/formChecks). The label
// wraps the control, so the caption names it.

import { type JSX, Show } from "solid-js";

export interface FieldProps {
  label: string;
  /** A muted line under the control. */
  hint?: string;
  /** What is wrong with the value, shown under the control; nothing when null. */
  problem?: string | null;
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
      <FieldProblem problem={props.problem} />
    </label>
  );
}

/** What is wrong with a field's value, under it; also for controls that are not one input (a set of checkboxes). */
export function FieldProblem(props: { problem: string | null | undefined }) {
  return (
    <Show when={props.problem}>
      <small class="field-problem" data-testid="field-problem" role="alert">
        {props.problem}
      </small>
    </Show>
  );
}
