import { afterEach } from 'vitest'
import { createServiceContext, type HostAdapter } from '../../main/ipc/context'
import { createRouter, type Router } from '../../main/ipc/router'
import { openServices, type CairnServices } from '../../main/services'

/**
 * The renderer's side of the contract over real services: open a profile's
 * services, then routers over them with the host adapter a test needs (a
 * picker, an opener). Everything opened is closed after each test of the
 * file, routers' contexts before their services.
 */
export function routerWorld(): {
  services(profileDir: string): CairnServices
  router(services: CairnServices, host?: HostAdapter): Router
} {
  const opened: { close(): unknown }[] = []
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close()
  })
  return {
    services(profileDir) {
      const services = openServices(profileDir)
      opened.push(services)
      return services
    },
    router(services, host = {}) {
      const ctx = createServiceContext(services, host)
      opened.push(ctx)
      return createRouter(ctx, { transport: 'test', log: () => undefined })
    },
  }
}
