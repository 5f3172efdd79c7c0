// What is wrong with what was typed into a form, said the same way by every form: each field's
// problem beside that field, every one of them at once when the user submits (not one at a time);
// a missing value only after a submit, so an untouched form is not all red, a wrong one as it is typed.

import { createSignal } from "solid-js";

export interface FieldRule {
  /** Whether nothing was entered. */
  empty: () => boolean;
  /** Said when it is empty, once the form was submitted; absent for an optional field. */
  required?: string;
  /** What is wrong with what was entered, or null; asked only when something was. */
  check?: () => string | null;
}

export interface FormChecks<Field extends string> {
  /** The field's problem as it is to be shown now, or null. */
  problem: (field: Field) => string | null;
  /** For a submit: shows every field's problem from now on; true when there is none. */
  passes: () => boolean;
  /** After a success that emptied the form: empty fields are fine again until the next submit. */
  reset: () => void;
}

export function createFormChecks<Field extends string>(rules: Record<Field, FieldRule>): FormChecks<Field> {
  const [submitted, setSubmitted] = createSignal(false);
  const problem = (field: Field): string | null => {
    const rule = rules[field];
    if (rule.empty()) return submitted() ? (rule.required ?? null) : null;
    return rule.check?.() ?? null;
  };
  const fields = Object.keys(rules) as Field[];
  return {
    problem,
    passes() {
      setSubmitted(true);
      return fields.every((field) => problem(field) === null);
    },
    reset: () => setSubmitted(false),
  };
}
