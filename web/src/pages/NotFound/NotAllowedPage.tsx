// Shown in place of a page the signed-in user's role may not open.

import { A } from "@solidjs/router";
import { HOME_PATH } from "../SignIn/signInPath";

export default function NotAllowedPage() {
  return (
    <section class="page not-found" data-testid="not-allowed">
      <h1>Not allowed</h1>
      <p>Your role does not give access to this page. Ask an administrator if you need it.</p>
      <p>
        <A href={HOME_PATH}>Go to the dashboard</A>
      </p>
    </section>
  );
}
