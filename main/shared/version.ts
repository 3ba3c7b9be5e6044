declare const __CAIRN_VERSION__: string

/** The app version, set at build time from package.json (see scripts/build.mjs and vitest.config.ts). */
export const APP_VERSION: string = __CAIRN_VERSION__
