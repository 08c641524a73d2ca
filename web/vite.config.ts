/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath, URL } from "node:url";

// In development the dashboard is served on :5173 and gRPC-Web calls
// (paths like /hodei.JobExecutionService/ListJobs) and the sign-in (/api)
// are proxied to hodeid's HTTP port, so the browser talks to one origin as it
// does in production.  The browser's Origin stays http://localhost:5173, so
// hodeid must allow it: run it with --dev-origin http://localhost:5173.
const hodeiHttp = process.env.HODEI_HTTP_URL ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  server: {
    host: "localhost",
    port: 5173,
    strictPort: true,
    proxy: {
      "^/hodei\\.": { target: hodeiHttp, changeOrigin: true },
      "/metrics": { target: hodeiHttp, changeOrigin: true },
      "/api/": { target: hodeiHttp, changeOrigin: true },
    },
  },
  build: { outDir: "dist", sourcemap: false },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // a bound on a hung test, not a speed check: typing into forms takes
    // seconds on a loaded 2-core machine
    testTimeout: 30000,
  },
});
