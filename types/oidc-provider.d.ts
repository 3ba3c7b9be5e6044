// The parts of oidc-provider (a test-only dependency: the local OpenID
// provider of the OAuth2 tests) that the tests use; the package ships no types.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface ProviderConfiguration {
    clients?: Record<string, unknown>[]
    findAccount?: (
      ctx: unknown,
      id: string,
    ) => { accountId: string; claims: () => Record<string, unknown> } | Promise<unknown>
    claims?: Record<string, string[]>
    scopes?: string[]
    features?: Record<string, unknown>
    /** Seconds, or a function giving them for each token issued. */
    ttl?: Record<string, number | (() => number)>
    cookies?: { keys?: string[] }
    jwks?: unknown
    [key: string]: unknown
  }

  export default class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (ctx: unknown, error: Error) => void): this
  }
}
