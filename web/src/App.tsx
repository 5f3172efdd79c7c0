// Routes: setup and sign-in stand alone; everything else lives inside the signed-in layout.

import { Navigate, Route, Router } from "@solidjs/router";
import { lazy, Suspense } from "solid-js";
import { capabilities } from "./capabilities";
import Layout from "./layout/Layout";
import { HOME_PATH } from "./pages/SignIn/signInPath";

const SetupPage = lazy(() => import("./pages/Setup/SetupPage"));
const SignInPage = lazy(() => import("./pages/SignIn/SignInPage"));
const NotFoundPage = lazy(() => import("./pages/NotFound/NotFoundPage"));

export function App() {
  return (
    <Router root={(props) => <Suspense>{props.children}</Suspense>}>
      <Route path="/setup" component={SetupPage} />
      <Route path="/login" component={SignInPage} />
      <Route path="/" component={Layout}>
        <Route path="/" component={() => <Navigate href={HOME_PATH} />} />
        {capabilities.map((capability) => (
          <Route path={capability.path} component={capability.page} />
        ))}
        <Route path="*" component={NotFoundPage} />
      </Route>
    </Router>
  );
}
