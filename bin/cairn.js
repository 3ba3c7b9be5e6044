#!/usr/bin/env node
// The `cairn` command in a checkout of the repository (npx cairn, npm link):
// it runs the CLI that `npm run build` wrote to out/, and never builds
// anything itself. Installed apps run the same CLI through the app binary
// (resources/bin/cairn, `Cairn --cli`).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const cli = new URL('../out/main/cli.js', import.meta.url)
if (!existsSync(fileURLToPath(cli))) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  process.stderr.write(
    `cairn: the command line is not built yet. Run "npm run build" in ${root} first.\n`,
  )
  process.exit(1)
}
await import(cli.href)
