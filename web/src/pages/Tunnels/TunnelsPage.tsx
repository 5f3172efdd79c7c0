// Tunnels: open a public address to this server (Cloudflare, ngrok or localtunnel), see it with a
// copy button and a QR code for the phone, watch its state live, keep it across restarts, close it.

import { For, Match, Show, Switch } from "solid-js";
import { CopyButton } from "../../components/CopyButton";
import { ErrorMessage, RowErrorMessage } from "../../components/ErrorMessage";
import { Field } from "../../components/Field";
import { Form, SubmitButton } from "../../components/Form";
import { PageTitle } from "../../components/PageTitle";
import { QrCode } from "../../components/QrCode";
import { TextField } from "../../components/TextField";
import { formatInstant } from "../../lib/format";
import { createTunnels, PROVIDERS, type TunnelOptionField } from "./createTunnels";
import { isOpen } from "./tunnelList";
import type { Tunnel } from "./tunnelsOperations";

const STATE_LABELS: Record<Tunnel["state"], string> = {
  STARTING: "starting",
  ONLINE: "online",
  RECONNECTING: "reconnecting",
  STOPPED: "closed",
  FAILED: "failed",
};

export default function TunnelsPage() {
  const page = createTunnels();
  const option = (field: TunnelOptionField, label: string, hint?: string, type = "text") => (
    <TextField
      label={label}
      hint={hint}
      type={type}
      autocomplete="off"
      testId={`tunnel-${field}`}
      value={page.options()[field]}
      onInput={(value) => page.setOption(field, value)}
    />
  );
  const chosen = () => page.availability(page.provider());
  return (
    <section class="page tunnels-page">
      <PageTitle title="Tunnels" />
      <ErrorMessage error={page.load.error()} onRetry={() => void page.load.run()} />
      <ErrorMessage error={page.liveError()} />
      <Show when={page.exposedAdmins().length > 0}>
        <aside class="warning" role="note" data-testid="tunnel-second-factor-warning">
          <strong>Not every admin has a second factor.</strong> {page.exposedAdmins().join(", ")} sign
          {page.exposedAdmins().length === 1 ? "s" : ""} in with a password alone; a tunnel puts that sign-in on the internet. Turn on
          two-factor sign-in under Account first.
        </aside>
      </Show>

      <div class="card">
        <h2>Open a tunnel</h2>
        <Form class="tunnel-form" onSubmit={() => void page.start.run()}>
          <Field label="Provider">
            <select
              value={page.provider()}
              onChange={(event) => page.setProvider(event.currentTarget.value as Tunnel["provider"])}
              data-testid="tunnel-provider"
            >
              <For each={PROVIDERS}>{(provider) => <option value={provider.value}>{provider.label}</option>}</For>
            </select>
          </Field>
          <Show when={chosen()?.available === false}>
            <p class="muted" data-testid="tunnel-provider-unavailable">
              {chosen()?.reason}
            </p>
          </Show>
          <Switch>
            <Match when={page.provider() === "CLOUDFLARED"}>
              {option("hostname", "Hostname of a named tunnel", "Leave empty for a quick tunnel on trycloudflare.com.")}
              {option("token", "Token of the named tunnel", "Kept in memory only.", "password")}
            </Match>
            <Match when={page.provider() === "NGROK"}>
              {option("authtoken", "Authtoken", "Leave empty to use the server's ngrok_authtoken. Kept in memory only.", "password")}
              {option("domain", "Reserved domain", "Optional.")}
              {option("basicAuth", "Basic auth (user:password)", "Optional; asked by ngrok before Outpost.", "password")}
              {option("allowCidrs", "Allowed addresses", "Optional CIDR ranges, e.g. 203.0.113.0/24; ngrok turns everyone else away.")}
            </Match>
            <Match when={page.provider() === "LOCALTUNNEL"}>
              {option("server", "Server", "Leave empty for the server's default (localtunnel_server).")}
              {option("subdomain", "Subdomain", "Optional; the server may give another.")}
            </Match>
          </Switch>
          <label class="checkbox">
            <input
              type="checkbox"
              checked={page.startOnBoot()}
              onChange={(event) => page.setStartOnBoot(event.currentTarget.checked)}
              data-testid="tunnel-start-on-boot"
            />
            Open again whenever Outpost starts
          </label>
          <div class="actions">
            <SubmitButton
              label="Open tunnel"
              busyLabel="Opening… (this can take a few seconds)"
              busy={page.start.busy()}
              disabled={page.start.busy() || chosen()?.available === false}
              testId="tunnel-start"
            />
          </div>
        </Form>
        <ErrorMessage error={page.start.error()} />
      </div>

      <Show when={page.tunnels().length > 0} fallback={<p class="muted">No tunnel is open: this server is reachable only where it is.</p>}>
        <ul class="tunnel-list">
          <For each={[...page.tunnels()].reverse()}>
            {(tunnel) => (
              <li class="card tunnel" data-testid="tunnel" data-state={tunnel.state}>
                <div class="tunnel-head">
                  <strong>{PROVIDERS.find((p) => p.value === tunnel.provider)?.label}</strong>{" "}
                  <span
                    class="badge"
                    classList={{ "badge-good": tunnel.state === "ONLINE", "badge-bad": tunnel.state === "FAILED" }}
                    data-testid="tunnel-state"
                  >
                    {STATE_LABELS[tunnel.state]}
                  </span>{" "}
                  <span class="muted">since {formatInstant(tunnel.since)}</span>
                </div>
                <Show when={isOpen(tunnel) && tunnel.publicUrl}>
                  {(url) => (
                    <div class="tunnel-address">
                      <code class="tunnel-url" data-testid="tunnel-url">
                        {url()}
                      </code>
                      <div class="actions">
                        <CopyButton text={url()} testId="tunnel-copy" label="Copy address" />
                      </div>
                      <QrCode text={url()} label={`QR code of ${url()}`} testId="tunnel-qr" />
                    </div>
                  )}
                </Show>
                <p class="muted">
                  {tunnel.requests} requests · {tunnel.reconnects} reconnections
                  {tunnel.startedByName ? ` · opened by ${tunnel.startedByName}` : ""}
                </p>
                <Show when={tunnel.lastError}>
                  <p class="tunnel-error" data-testid="tunnel-last-error">
                    {tunnel.state === "FAILED" ? "Failed: " : "Last problem: "}
                    {tunnel.lastError}
                  </p>
                </Show>
                <Show when={isOpen(tunnel)}>
                  <div class="actions">
                    <label class="checkbox">
                      <input
                        type="checkbox"
                        checked={tunnel.startOnBoot}
                        disabled={page.rows.busy(tunnel.id) !== undefined}
                        onChange={() => void page.toggleStartOnBoot(tunnel)}
                        data-testid="tunnel-boot-toggle"
                      />
                      Open again whenever Outpost starts
                    </label>
                    <button
                      type="button"
                      class="danger"
                      disabled={page.rows.busy(tunnel.id) !== undefined}
                      onClick={() => void page.stop(tunnel)}
                      data-testid="tunnel-stop"
                    >
                      {page.rows.busy(tunnel.id) === "stop" ? "Closing…" : "Close tunnel"}
                    </button>
                  </div>
                </Show>
                <RowErrorMessage error={page.rows.error(tunnel.id)} />
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
