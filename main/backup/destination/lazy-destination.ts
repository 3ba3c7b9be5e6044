import type { Destination, DestinationKind } from './destination.js'

/**
 * A destination whose implementation is loaded on first use. The S3 kind
 * brings the AWS SDK (about 35 MB of memory and most of a second to load on
 * a busy machine): a command that backs up to, or restores from, an SFTP
 * server or a folder must not pay for it, nor must an S3 one pay before it
 * needs it. `kind`, `label` and `locate` are answered without loading.
 */
export function lazyDestination(
  kind: DestinationKind,
  label: string,
  load: () => Promise<Destination>,
): Destination {
  let loaded: Promise<Destination> | null = null
  const real = () => (loaded ??= load())
  return {
    kind,
    label,
    locate: (name) => (label.endsWith('/') ? `${label}${name}` : `${label}/${name}`),
    test: async () => (await real()).test(),
    checkUsable: async (context) => (await real()).checkUsable(context),
    startBackup: async (createdAt, options) => (await real()).startBackup(createdAt, options),
    list: async () => (await real()).list(),
    readSidecar: async (name) => (await real()).readSidecar(name),
    writeSidecar: async (name, sidecar) => (await real()).writeSidecar(name, sidecar),
    stat: async (name) => (await real()).stat(name),
    read: async (name, range) => (await real()).read(name, range),
    remove: async (name) => (await real()).remove(name),
    cleanup: async (options) => (await real()).cleanup(options),
    // Never loaded: nothing to release.
    close: async () => (loaded ? (await loaded).close() : undefined),
  }
}
