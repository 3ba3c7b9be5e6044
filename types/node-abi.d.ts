/** The part of node-abi (a dependency of @electron/rebuild) that scripts/native-modules.mjs uses. */
declare module 'node-abi' {
  export function getAbi(target: string, runtime: 'node' | 'electron'): string
}
