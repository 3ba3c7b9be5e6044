import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCa {
  cert: string
  key: string
  certPem: string
  /** A server certificate for 127.0.0.1 and localhost, signed by this authority. */
  issue(name?: string): { cert: string; key: string }
}

/** A throwaway certificate authority (openssl), for servers the tests run on loopback. */
export function createTestCa(label = 'Cairn test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-ca-'))
  const cert = join(dir, 'ca.pem')
  const key = join(dir, 'ca.key')
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '3',
    '-subj',
    `/CN=${label}`,
  ])
  let serial = 1
  return {
    cert,
    key,
    certPem: readFileSync(cert, 'utf8'),
    issue(name = 'server') {
      const serverKey = join(dir, `${name}.key`)
      const csr = join(dir, `${name}.csr`)
      const serverCert = join(dir, `${name}.pem`)
      const ext = join(dir, `${name}.ext`)
      writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
      run([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        serverKey,
        '-out',
        csr,
        '-subj',
        `/CN=${name}`,
      ])
      run([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        cert,
        '-CAkey',
        key,
        '-set_serial',
        String(serial++),
        '-days',
        '2',
        '-out',
        serverCert,
        '-extfile',
        ext,
      ])
      return { cert: serverCert, key: serverKey }
    },
  }
}
