import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')

interface BuilderConfig {
  electronFuses?: Record<string, boolean>
  asar?: boolean
}

/** electron-builder's own loader and schema check, as `npm run dist` runs them. */
async function loadBuilderConfig(): Promise<BuilderConfig> {
  const { getConfig, validateConfiguration } =
    (await import('app-builder-lib/out/util/config/config.js')) as {
      getConfig(dir: string, file: string, extra: null): Promise<BuilderConfig>
      validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>
    }
  const config = await getConfig(root, join(root, 'electron-builder.yml'), null)
  const logger = { isEnabled: false, add: () => undefined, save: () => undefined }
  await validateConfiguration(config, logger)
  return config
}

describe('electron-builder configuration', () => {
  it('flips the Electron fuses that keep the packaged app from being repurposed', async () => {
    const config = await loadBuilderConfig()
    expect(config.asar).toBe(true)
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })
})
