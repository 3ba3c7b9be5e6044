import { createRequire } from 'node:module'
import type * as S3 from '@aws-sdk/client-s3'

/**
 * The AWS SDK's S3 client, loaded with require rather than import. It is
 * CommonJS (its `module` build is for bundlers): imported from an ES
 * module, Node first scans its 270 KB index.js for export names
 * (cjs-module-lexer), about 0.1 s of CPU on every S3 backup, restore or
 * listing. Types still come from the package (`import type`).
 */
export const sdk = createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof S3
