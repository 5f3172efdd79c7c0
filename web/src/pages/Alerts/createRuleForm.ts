// The alert rule editor: empty for a new rule, or filled from the rule being edited; numbers are
// checked as they are typed, the whole rule when it is saved.

import { createSignal } from "solid-js";
import { createAction } from "../../lib/action";
import { createFormChecks } from "../../lib/formChecks";
import type { AlertComparison, AlertRuleInput, AlertRuleRow } from "./alertsOperations";

const numberProblem = (text: string, { whole = false, min }: { whole?: boolean; min?: number } = {}) => {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) return "Enter a number.";
  if (whole && !Number.isInteger(value)) return "Enter a whole number.";
  if (min !== undefined && value < min) return `At least ${min}.`;
  return null;
};

export function createRuleForm(save: (id: string | null, input: AlertRuleInput) => Promise<void>) {
  const [editing, setEditing] = createSignal<string | null>(null);
  const [name, setName] = createSignal("");
  const [series, setSeries] = createSignal("");
  const [comparison, setComparison] = createSignal<AlertComparison>("ABOVE");
  const [warning, setWarning] = createSignal("");
  const [critical, setCritical] = createSignal("");
  const [forSeconds, setForSeconds] = createSignal("60");
  const [hysteresis, setHysteresis] = createSignal("0");

  const checks = createFormChecks({
    name: { empty: () => name().trim() === "", required: "Name the rule." },
    series: { empty: () => series().trim() === "", required: "Pick a series." },
    warning: { empty: () => warning().trim() === "", check: () => numberProblem(warning()) },
    critical: {
      empty: () => critical().trim() === "",
      check: () => {
        const problem = numberProblem(critical());
        if (problem || warning().trim() === "" || numberProblem(warning())) return problem;
        const [w, c] = [Number(warning()), Number(critical())];
        if (comparison() === "ABOVE" ? c <= w : c >= w) return `Must be ${comparison() === "ABOVE" ? "above" : "below"} the warning level.`;
        return null;
      },
    },
    forSeconds: {
      empty: () => forSeconds().trim() === "",
      required: "How long, in seconds.",
      check: () => numberProblem(forSeconds(), { whole: true, min: 0 }),
    },
    hysteresis: { empty: () => hysteresis().trim() === "", required: "0 for none.", check: () => numberProblem(hysteresis(), { min: 0 }) },
  });
  const levelMissing = () => warning().trim() === "" && critical().trim() === "";
  const [triedWithoutLevel, setTriedWithoutLevel] = createSignal(false);

  const clear = () => {
    setEditing(null);
    setName("");
    setSeries("");
    setComparison("ABOVE");
    setWarning("");
    setCritical("");
    setForSeconds("60");
    setHysteresis("0");
    setTriedWithoutLevel(false);
    checks.reset();
  };

  const submit = createAction(async () => {
    setTriedWithoutLevel(levelMissing());
    if (!checks.passes() || levelMissing()) return;
    await save(editing(), {
      name: name().trim(),
      series: series().trim(),
      comparison: comparison(),
      warning: warning().trim() === "" ? null : Number(warning()),
      critical: critical().trim() === "" ? null : Number(critical()),
      forSeconds: Number(forSeconds()),
      hysteresis: Number(hysteresis()),
    });
    clear();
  });

  return {
    editing,
    /** Fills the form with `rule` to change it. */
    edit(rule: AlertRuleRow) {
      clear();
      setEditing(rule.id);
      setName(rule.name);
      setSeries(rule.series);
      setComparison(rule.comparison);
      setWarning(rule.warning === null ? "" : String(rule.warning));
      setCritical(rule.critical === null ? "" : String(rule.critical));
      setForSeconds(String(rule.forSeconds));
      setHysteresis(String(rule.hysteresis));
    },
    cancel: clear,
    name,
    setName,
    series,
    setSeries,
    comparison,
    setComparison,
    warning,
    setWarning,
    critical,
    setCritical,
    forSeconds,
    setForSeconds,
    hysteresis,
    setHysteresis,
    problem: checks.problem,
    levelProblem: () => (triedWithoutLevel() && levelMissing() ? "Set a warning level, a critical level or both." : null),
    save: () => void submit.run(),
    busy: submit.busy,
    error: submit.error,
  };
}

export type RuleForm = ReturnType<typeof createRuleForm>;
