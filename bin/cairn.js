#!/usr/bin/env node
// The `cairn` command. The CLI is built into out/main/cli.js by `npm run build` (run on npm install).
import '../out/main/cli.js'
