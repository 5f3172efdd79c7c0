// The GraphiQL page, rendered at build time: graphql-yoga's bundled GraphiQL (no CDN, the box may be
// offline) with Outpost's options, in a page that mirrors @graphql-yoga/render-graphiql's own
// template. build-web.ts precompresses it; server/http/graphiql.ts serves it.
import { css, editorWorkerService, favicon, graphqlWorker, js, jsonWorker } from "@graphql-yoga/render-graphiql/graphiql";
import type { GraphiQLOptions } from "graphql-yoga";

const OPTIONS: GraphiQLOptions = { title: "Outpost GraphiQL", subscriptionsProtocol: "WS" };

/** The whole page: about 9 MB, nearly all of it GraphiQL's scripts. */
export function graphiqlPage(): string {
  // Script contents are embedded as JSON strings; "</" is escaped so none can end the <script>.
  const inline = (value: unknown) => JSON.stringify(value).replace(/<\//g, "<\\/");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${OPTIONS.title}</title>
    <link rel="icon" href="${favicon}" />
    <style>${css}</style>
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      function prepareBlob(workerContent) {
        return URL.createObjectURL(new Blob([workerContent], { type: "application/javascript" }));
      }
      const workers = {
        editorWorkerService: prepareBlob(${inline(editorWorkerService)}),
        json: prepareBlob(${inline(jsonWorker)}),
        graphql: prepareBlob(${inline(graphqlWorker)}),
      };
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => workers[label] };
      ${js};
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector("#root"), ${inline(OPTIONS)});
    </script>
  </body>
</html>
`;
}
