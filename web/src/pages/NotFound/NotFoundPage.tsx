import { A, useLocation } from "@solidjs/router";
import { HOME_PATH } from "../SignIn/signInPath";

export default function NotFoundPage() {
  const location = useLocation();
  return (
    <section class="page not-found">
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{location.pathname}</code>.
      </p>
      <p>
        <A href={HOME_PATH}>Go to the dashboard</A>
      </p>
    </section>
  );
}
