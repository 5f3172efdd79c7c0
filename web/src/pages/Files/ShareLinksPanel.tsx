// The share links of an open file: make one (how long it works, how many downloads), its address
// with a copy button and a QR code, and the links made before with their downloads and a revoke.

import { For, Show } from "solid-js";
import { CopyButton } from "../../components/CopyButton";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { QrCode } from "../../components/QrCode";
import { TextField } from "../../components/TextField";
import { formatInstant } from "../../lib/format";
import { createShareLinks, LIFETIMES } from "./createShareLinks";

export function ShareLinksPanel(props: { fileId: string; fileName: string }) {
  const share = createShareLinks(props.fileId);
  return (
    <section class="share-links" data-testid="share-links">
      <h3>Share links</h3>
      <Form class="share-form" onSubmit={share.create}>
        <label class="field">
          <span>Works for</span>
          <select
            value={share.lifetimeHours()}
            onChange={(event) => share.setLifetimeHours(Number(event.currentTarget.value))}
            data-testid="share-lifetime"
          >
            <For each={LIFETIMES}>{(lifetime) => <option value={lifetime.hours}>{lifetime.label}</option>}</For>
          </select>
        </label>
        <TextField
          label="Downloads allowed"
          testId="share-max-downloads"
          inputmode="numeric"
          placeholder="any number"
          value={share.maxDownloadsText()}
          onInput={share.setMaxDownloadsText}
          problem={share.maxDownloadsProblem()}
        />
        <div class="beside-field">
          <SubmitButton
            label="Make link"
            busyLabel="Making…"
            busy={share.busy()}
            disabled={share.busy() || share.maxDownloadsProblem() !== null}
            testId="share-create"
          />
        </div>
      </Form>
      <ErrorMessage error={share.error()} />
      <Show when={share.created()}>
        {(url) => (
          <div class="share-created" data-testid="share-created">
            <p class="muted">Anyone with this address can download {props.fileName}. It is shown only now.</p>
            <code class="share-url" data-testid="share-url">
              {url()}
            </code>
            <div class="actions">
              <CopyButton text={url()} testId="share-copy" label="Copy link" />
            </div>
            <QrCode text={url()} label={`QR code of the link to ${props.fileName}`} testId="share-qr" />
          </div>
        )}
      </Show>
      <Show when={share.links().length > 0}>
        <ul class="share-list">
          <For each={share.links()}>
            {(link) => (
              <li class="share-item" data-testid="share-link">
                <span>
                  <span class="badge" classList={{ "badge-good": link.active, "badge-bad": !link.active }}>
                    {link.active ? "works" : link.revokedAt ? "revoked" : "ended"}
                  </span>{" "}
                  made {formatInstant(link.createdAt)}
                  {link.expiresAt ? `, until ${formatInstant(link.expiresAt)}` : ""}; {link.downloads}
                  {link.maxDownloads === null ? "" : ` of ${link.maxDownloads}`} downloads
                </span>
                <Show when={link.active}>
                  <button type="button" class="danger" onClick={() => share.revoke(link)} disabled={share.busy()}>
                    Revoke
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
