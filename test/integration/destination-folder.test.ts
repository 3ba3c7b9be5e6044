import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FolderDestination } from '../../main/backup/destination/folder/folder-destination'
import { describeDestinationContract } from '../support/destination-contract'

describeDestinationContract('folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-dest-folder-'))
  return {
    destination: new FolderDestination(dir),
    rawPut: async (name, data) => writeFileSync(join(dir, name), data),
    rawGet: async (name) => {
      try {
        return readFileSync(join(dir, name))
      } catch {
        return null
      }
    },
    rawNames: async () => readdirSync(dir),
    rawFolder: async (name) => mkdirSync(join(dir, name)),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
