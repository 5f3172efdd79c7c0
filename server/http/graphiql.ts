// GraphiQL for admins: graphql-yoga's bundled GraphiQL (no CDN, the box may be offline). Its 9 MB
// of scripts are embedded as a plain file and imported only when the page is first opened, so the
// binary carries them once (not again as bytecode) and no memory is spent until then. The page
// mirrors @graphql-yoga/render-graphiql's own template.

// @ts-expect-error: a `type: "file"` import yields the embedded file's path, which the typings cannot express.
import graphiqlBundle from "@graphql-yoga/render-graphiql/graphiql" with { type: "file" };
import type { GraphiQLOptions } from "graphql-yoga";

interface GraphiqlAssets {
  css: string;
  js: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

let assets: Promise<GraphiqlAssets> | null = null;

export async function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  assets ??= import(graphiqlBundle as string) as Promise<GraphiqlAssets>;
  const { css, js, favicon, editorWorkerService, jsonWorker, graphqlWorker } = await assets;
  // Script contents are embedded as JSON strings; "</" is escaped so none can end the <script>.
  const inline = (value: unknown) => JSON.stringify(value).replace(/<\//g, "<\\/");
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${options.title ?? "GraphiQL"}</title>
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
      YogaGraphiQL.renderYogaGraphiQL(window.document.querySelector("#root"), ${inline(options)});
    </script>
  </body>
</html>
`;
}
