// Two-factor sign-in: after the password, enrol an authenticator app with a QR code (or the secret
// typed in), confirm with a first code, store the recovery codes shown once; or turn it off with
// the password.

import { For, Match, Show, Switch } from "solid-js";
import { CopyButton } from "../../components/CopyButton";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Form, SubmitButton } from "../../components/Form";
import { Saved } from "../../components/Saved";
import { TextField } from "../../components/TextField";
import type { TotpSettings } from "./createTotpSettings";

/** The QR code as an image URL: the page's content policy allows data: images, and an <img> runs no script. */
function svgImageUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

export function TotpSection(props: { totp: TotpSettings }) {
  const totp = props.totp;
  return (
    <section class="card account-section" data-testid="account-totp">
      <div class="section-title">
        <h2>Two-factor sign-in</h2>
        <Show when={totp.enabled() !== undefined}>
          <span class="badge" classList={{ "badge-good": totp.enabled() }} data-testid="totp-status">
            {totp.enabled() ? "on" : "off"}
          </span>
        </Show>
      </div>

      <Show when={totp.recoveryCodes()}>
        {(codes) => (
          <div class="recovery">
            <p class="note">
              Two-factor sign-in is on. Store these recovery codes somewhere safe, such as a password manager: each one signs you in once if
              you lose your authenticator app. <strong>They are shown only now.</strong>
            </p>
            <ul class="recovery-codes" data-testid="recovery-codes">
              <For each={codes()}>
                {(code) => (
                  <li>
                    <code>{code}</code>
                  </li>
                )}
              </For>
            </ul>
            <div class="actions">
              <CopyButton text={codes().join("\n")} testId="recovery-codes-copy" label="Copy codes" />
              <button type="button" class="primary" data-testid="recovery-codes-done" onClick={totp.dismissRecoveryCodes}>
                I have stored them
              </button>
            </div>
          </div>
        )}
      </Show>

      <Switch>
        <Match when={totp.enabled() === undefined}>
          <p class="muted">Loading…</p>
        </Match>
        <Match when={totp.enabled() && !totp.recoveryCodes()}>
          <Form onSubmit={() => void totp.disable.run()}>
            <p class="muted">Signing in asks for a code from your authenticator app (or a recovery code) after the password.</p>
            <TextField
              label="Password, to turn it off"
              testId="totp-disable-password"
              type="password"
              autocomplete="current-password"
              value={totp.disable.password()}
              onInput={totp.disable.setPassword}
            />
            <ErrorMessage error={totp.disable.error()} />
            <div class="actions">
              <SubmitButton
                kind="danger"
                label="Turn off two-factor sign-in"
                busyLabel="Turning off…"
                busy={totp.disable.busy()}
                disabled={!totp.disable.canRun()}
                testId="totp-disable"
              />
            </div>
          </Form>
        </Match>
        <Match when={totp.setup()}>
          {(setup) => (
            <Form class="totp-setup" onSubmit={totp.confirm.run}>
              <p>Scan this code with an authenticator app (for example Aegis, Google Authenticator or 1Password).</p>
              <img
                class="totp-qr"
                data-testid="totp-qr"
                src={svgImageUrl(setup().qrSvg)}
                alt="QR code to add Outpost to an authenticator app"
              />
              <p class="muted">
                Or <a href={setup().otpauthUri}>open it in an authenticator app on this device</a>, or type this secret in:
              </p>
              <div class="secret-line">
                <code class="secret" data-testid="totp-secret">
                  {setup().secret}
                </code>
                <CopyButton text={setup().secret} testId="totp-secret-copy" />
              </div>
              <TextField
                class="field-short"
                label="Code from the app"
                testId="totp-code"
                inputmode="numeric"
                autocomplete="one-time-code"
                maxlength={7}
                placeholder="123456"
                value={totp.code()}
                onInput={totp.setCode}
              />
              <ErrorMessage error={totp.confirm.error()} />
              <div class="actions">
                <SubmitButton
                  label="Turn on"
                  busyLabel="Checking…"
                  busy={totp.confirm.busy()}
                  disabled={!totp.confirm.canRun()}
                  testId="totp-confirm"
                />
                <button type="button" data-testid="totp-cancel" onClick={totp.cancelSetup} disabled={totp.confirm.busy()}>
                  Cancel
                </button>
              </div>
            </Form>
          )}
        </Match>
        <Match when={!totp.enabled()}>
          <Saved notice={totp.disabledNow()} />
          <Form onSubmit={totp.begin.run}>
            <p class="muted">Ask for a code from an authenticator app after the password, so a stolen password alone cannot sign in.</p>
            <TextField
              label="Password, to set it up"
              testId="totp-enable-password"
              type="password"
              autocomplete="current-password"
              value={totp.begin.password()}
              onInput={totp.begin.setPassword}
            />
            <ErrorMessage error={totp.begin.error()} />
            <div class="actions">
              <SubmitButton
                label="Set up two-factor sign-in"
                busyLabel="Preparing…"
                busy={totp.begin.busy()}
                disabled={!totp.begin.canRun()}
                testId="totp-enable"
              />
            </div>
          </Form>
        </Match>
      </Switch>
    </section>
  );
}
