/**
 * Worker thread entry for vault registration and recovery (vault-job.ts):
 * OPAQUE's password stretching runs here, not on the thread serving the UI.
 */
import { serveJob } from '../workers/serve.js'
import { VaultClient } from './client.js'
import type { VaultJobInput, VaultJobResult } from './vault-job.js'

serveJob<VaultJobInput, never, VaultJobResult>(
  async ({ job, client }) => {
    const vault = new VaultClient({ ...client, ca: client.ca ? Buffer.from(client.ca) : undefined })
    if (job.op === 'register') {
      const recordId = await vault.register(job.password, job.backupKey, job.maxGuesses)
      return { op: 'register', recordId }
    }
    return { op: 'recover', backupKey: await vault.recover(job.recordId, job.password) }
  },
  { unexpected: (message) => `The Backup Key Vault request failed: ${message}` },
)
