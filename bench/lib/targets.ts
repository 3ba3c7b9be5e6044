import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startApacheDav } from '../../test/support/apache-webdav.js'
import { startMoto } from '../../test/support/moto.js'
import { startSshd } from '../../test/support/sshd.js'
import { createTestCa } from '../../test/support/tls.js'

/**
 * One loopback destination as Cairn names it (URL, options, environment)
 * and as rclone does (an on-the-fly remote configured by environment: no
 * secret on a command line, no config file).
 */
export interface Target {
  kind: string
  url: string
  /** `cairn destination add` options, and the secret it reads on stdin. */
  addOptions: string[]
  addInput?: string
  /** What `cairn restore URL` needs without the named destination. */
  options: string[]
  env: NodeJS.ProcessEnv
  remote: string
  rcloneEnv: NodeJS.ProcessEnv
  /**
   * rclone 1.60 (Debian 12) checks an S3 upload with HEAD ?versionId=null,
   * which moto refuses (400) after the object is complete: that one error is
   * let pass (the reference restore then reads and authenticates it all).
   */
  rcatCheckRefused?: boolean
  stop(): Promise<void>
}

const obscure = (password: string) =>
  execFileSync('rclone', ['obscure', '-'], { input: password }).toString().trim()

export async function s3Target(): Promise<Target> {
  const moto = await startMoto()
  const rcloneEnv = {
    RCLONE_S3_PROVIDER: 'Other',
    RCLONE_S3_ENDPOINT: moto.endpoint,
    RCLONE_S3_ACCESS_KEY_ID: 'bench',
    RCLONE_S3_SECRET_ACCESS_KEY: 'bench-secret',
    RCLONE_S3_REGION: 'us-east-1',
    RCLONE_S3_FORCE_PATH_STYLE: 'true',
  }
  execFileSync('rclone', ['mkdir', ':s3:bench'], {
    env: { ...process.env, RCLONE_CONFIG: '/dev/null', AWS_CA_BUNDLE: '', ...rcloneEnv },
  })
  return {
    kind: 'S3 (moto)',
    url: 's3://bench/cairn',
    addOptions: [
      '--endpoint',
      moto.endpoint,
      '--user',
      'bench',
      '--password-stdin',
      '--path-style',
    ],
    addInput: 'bench-secret\n',
    options: [],
    env: {
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench-secret',
      AWS_REGION: 'us-east-1',
    },
    remote: ':s3:bench/reference',
    rcloneEnv,
    rcatCheckRefused: true,
    stop: () => moto.stop(),
  }
}

export async function webdavTarget(): Promise<Target> {
  const ca = createTestCa()
  const apache = await startApacheDav(ca.issue())
  for (const name of ['cairn', 'reference']) {
    const folder = join(apache.basicRoot, name)
    mkdirSync(folder)
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'www-data']).toString())
      chownSync(folder, id('-u'), id('-g'))
    }
  }
  return {
    kind: 'WebDAV (Apache, TLS)',
    url: `webdavs://127.0.0.1:${apache.port}/basic/cairn/`,
    addOptions: ['--user', apache.user, '--password-stdin', '--ca', ca.cert],
    addInput: `${apache.password}\n`,
    options: ['--user', apache.user, '--ca', ca.cert],
    env: { CAIRN_DESTINATION_PASSWORD: apache.password },
    remote: ':webdav:',
    rcloneEnv: {
      RCLONE_WEBDAV_URL: `${apache.origin}/basic/reference/`,
      RCLONE_WEBDAV_VENDOR: 'other',
      RCLONE_WEBDAV_USER: apache.user,
      RCLONE_WEBDAV_PASS: obscure(apache.password),
      RCLONE_CA_CERT: ca.cert,
    },
    stop: () => apache.stop(),
  }
}

export async function sftpTarget(): Promise<Target> {
  const sshd = await startSshd()
  mkdirSync(join(sshd.root, 'cairn'))
  mkdirSync(join(sshd.root, 'reference'))
  return {
    kind: 'SFTP (sshd)',
    url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${join(sshd.root, 'cairn')}`,
    addOptions: ['--identity', sshd.userKeyPath, '--host-key', sshd.hostKeyFingerprint],
    options: ['--identity', sshd.userKeyPath, '--host-key', sshd.hostKeyFingerprint],
    env: {},
    remote: `:sftp:${join(sshd.root, 'reference')}`,
    rcloneEnv: {
      RCLONE_SFTP_HOST: '127.0.0.1',
      RCLONE_SFTP_PORT: String(sshd.port),
      RCLONE_SFTP_USER: sshd.user,
      RCLONE_SFTP_KEY_FILE: sshd.userKeyPath,
    },
    stop: () => sshd.stop(),
  }
}
