import type { MailService } from '../mail/mail-service.js'
import type { AppInfo, Method, MethodInput, MethodOutput } from './contract.js'

export type Handlers = {
  [M in Method]: (input: MethodInput<M>) => MethodOutput<M> | Promise<MethodOutput<M>>
}

export interface HostCapabilities {
  info: Omit<AppInfo, 'profileDir'>
  /** A native picker for mbox files and folders; undefined where the host has none. */
  pickImportSources?: () => Promise<string[] | null>
}

/** Bind every contract method to the service that answers it. */
export function createHandlers(
  services: { profileDir: string; mail: MailService },
  host: HostCapabilities,
): Handlers {
  const { mail } = services
  return {
    'app.info': () => ({ ...host.info, profileDir: services.profileDir }),
    'app.pickImportSources': async () => (host.pickImportSources ? host.pickImportSources() : null),
    'mail.overview': () => mail.overview(),
    'mail.folders': () => mail.listFolders(),
    'mail.list': ({ folderId, cursor, offset, limit }) =>
      mail.listMessages(folderId, { cursor, offset, limit }),
    'mail.search': ({ query, limit }) => mail.search(query, limit),
    'mail.get': ({ id }) => mail.getMessage(id),
    'mail.setSeen': ({ id, seen }) => {
      mail.setSeen(id, seen)
      return null
    },
    'mail.import.start': ({ paths }) => mail.startImport(paths),
    'mail.import.cancel': ({ jobId }) => {
      mail.cancelImport(jobId)
      return null
    },
  }
}
