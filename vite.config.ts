import react from '@vitejs/plugin-react'
import { readFileSync } from 'node:fs'
import { defineConfig } from 'vite'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string
}

// The renderer: built to out/renderer with relative URLs, so the same files
// load from app://cairn/ in Electron and from the browser build's host.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  define: { __CAIRN_VERSION__: JSON.stringify(pkg.version) },
  build: {
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // The password strength meter's dictionaries (zxcvbn-ts) are one large chunk, loaded only
    // when a vault password is typed.
    chunkSizeWarningLimit: 1300,
  },
})
