// Builds the UI from web/ into web/dist, which the server embeds. `vite` alone serves it for
// development with /graphql (HTTP and WebSocket) passed to a server on port 8080.

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [solid()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    proxy: {
      "/graphql": { target: "http://localhost:8080", ws: true },
    },
  },
});
