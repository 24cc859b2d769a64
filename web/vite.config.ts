import react from '@vitejs/plugin-react'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The staff console. Built with: node_modules/.bin/vite build --config web/vite.config.ts
// The numguard server serves web/dist at / (SPA fallback) and the API on the same origin.
const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    // `vite --config web/vite.config.ts` in development: forward the API to a running `npm start`.
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/docs': 'http://127.0.0.1:3000',
    },
  },
})
