import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificate {
  /** The CA that signed it (PEM file), to hand to clients explicitly. */
  caFile: string
  certFile: string
  keyFile: string
  /** SHA-256 fingerprint of the server certificate, as Node prints it (AA:BB:…). */
  fingerprint256: string
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost,
 * made with the openssl CLI. Each call makes a new CA, so a second call
 * gives "a certificate that changed" for the same host.
 */
export function makeTestCertificate(name = 'cairn-test', dnsNames: string[] = []): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-ca-'))
  chmodSync(dir, 0o755)
  const file = (n: string) => join(dir, n)
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name} CA`,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ])
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ])
  writeFileSync(
    file('ext.cnf'),
    `subjectAltName = ${['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((n) => `DNS:${n}`)].join(',')}\nextendedKeyUsage = serverAuth\n`,
  )
  run([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    file('ext.cnf'),
    '-out',
    file('server.pem'),
  ])
  chmodSync(file('server.key'), 0o644)
  const cert = new X509Certificate(readFileSync(file('server.pem')))
  return {
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    fingerprint256: cert.fingerprint256,
  }
}
