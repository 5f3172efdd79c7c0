// An entry's result as a badge: green for ok, red for an error code, plain for a second factor asked.

import { resultTone } from "./auditDisplay";

export function AuditResult(props: { result: string }) {
  return (
    <span class="badge" classList={{ "badge-good": resultTone(props.result) === "good", "badge-bad": resultTone(props.result) === "bad" }}>
      {props.result}
    </span>
  );
}
