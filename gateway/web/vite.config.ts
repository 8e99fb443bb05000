import { readFileSync } from "node:fs";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

// The shipped operations as codegen's client preset lists them ({hash: document}), beside the
// bundle: the manifest GATEWAY_PERSISTED_MANIFEST can name in an installed package.
function persistedManifest(): Plugin {
  return {
    name: "persisted-manifest",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "persisted-documents.json",
        source: readFileSync("src/gql/persisted-documents.json", "utf8"),
      });
    },
  };
}

// The gateway serves these files under /web/ by fixed names, from HTML it renders itself, so
// the output carries no hashes, no timestamps and no inline script (the CSP allows only 'self').
export default defineConfig({
  plugins: [react(), persistedManifest()],
  base: "/web/",
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: false,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        book: "src/book/main.tsx",
        graphiql: "src/graphiql/main.tsx",
        docs: "src/docs/main.ts",
      },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
});
