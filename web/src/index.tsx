import { render } from "solid-js/web";
import { App } from "./App";
import "./styles.css";

// The router reads a path that starts with "//" (a public URL ending in "/" put before "/setup")
// as a link to another host and shows nothing: open the same page with single slashes instead.
const tidyPath = location.pathname.replace(/\/{2,}/g, "/");
if (tidyPath !== location.pathname) history.replaceState(history.state, "", `${tidyPath}${location.search}${location.hash}`);

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
render(() => <App />, root);
