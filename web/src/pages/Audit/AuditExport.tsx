// Downloads of the entries the filter matches, as CSV (spreadsheets) or JSON (programs).

import { Show } from "solid-js";
import { ErrorMessage } from "../../components/ErrorMessage";
import { AUDIT_EXPORT_MAX_ROWS, type AuditExportFormat } from "./auditOperations";
import type { AuditLog } from "./createAuditLog";

const FORMATS: readonly { format: AuditExportFormat; label: string }[] = [
  { format: "csv", label: "CSV" },
  { format: "json", label: "JSON" },
];

export function AuditExport(props: { export: AuditLog["export"] }) {
  const download = props.export;
  return (
    <div class="audit-export">
      <div class="audit-export-row">
        <span class="muted">Export the entries matching the filter, newest first ({AUDIT_EXPORT_MAX_ROWS.toLocaleString()} at most):</span>
        <div class="actions">
          {FORMATS.map(({ format, label }) => (
            <button
              type="button"
              data-testid={`audit-export-${format}`}
              disabled={download.busy() !== null}
              onClick={() => download.run(format)}
            >
              <Show when={download.busy() === format} fallback={label}>
                Exporting {label}…
              </Show>
            </button>
          ))}
        </div>
      </div>
      <ErrorMessage error={download.error()} />
    </div>
  );
}
