import { createRequire } from 'node:module'
import type Sodium from 'sodium-native'

/**
 * sodium-native, loaded with require rather than import. It is CommonJS:
 * imported from an ES module, Node first scans its 108 KB index.js for
 * export names (cjs-module-lexer), about 50 ms of CPU in every thread that
 * loads it (the CLI, the backup's encryptor and hash workers, a restore's
 * decryptor) for names Cairn never uses: it only reads properties of the
 * default export.
 */
export const sodium = createRequire(import.meta.url)('sodium-native') as typeof Sodium
