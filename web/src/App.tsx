// Routes: setup and sign-in stand alone; everything else lives inside the signed-in layout.

import { Route, Router } from "@solidjs/router";
import { lazy, Show, Suspense } from "solid-js";
import { type Capability, capabilities, mayOpen } from "./capabilities";
import Layout from "./layout/Layout";
import { currentUser } from "./lib/auth";

const SetupPage = lazy(() => import("./pages/Setup/SetupPage"));
const SignInPage = lazy(() => import("./pages/SignIn/SignInPage"));
const NotFoundPage = lazy(() => import("./pages/NotFound/NotFoundPage"));
const NotAllowedPage = lazy(() => import("./pages/NotFound/NotAllowedPage"));

/** The capability's page for those whose permissions let them open it; a refusal for everyone else. */
function guarded(capability: Capability) {
  return () => {
    const allowed = () => {
      const user = currentUser();
      return user ? mayOpen(capability, user) : false;
    };
    return (
      <Show when={allowed()} fallback={<NotAllowedPage />}>
        <capability.page />
      </Show>
    );
  };
}

export function App() {
  return (
    <Router root={(props) => <Suspense>{props.children}</Suspense>}>
      <Route path="/setup" component={SetupPage} />
      <Route path="/login" component={SignInPage} />
      <Route path="/" component={Layout}>
        {capabilities.map((capability) => (
          <Route path={capability.path} component={guarded(capability)} />
        ))}
        <Route path="*" component={NotFoundPage} />
      </Route>
    </Router>
  );
}
