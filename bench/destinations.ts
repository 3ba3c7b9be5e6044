/**
 * npm run bench:destinations — Cairn's backup and restore to each kind of
 * remote destination, beside the stock pipeline on the same server in one run:
 *   backup:  cairn backup --to URL   vs  tar -c | zstd -1 | age -r … | rclone rcat REMOTE:path
 *   restore: cairn restore URL       vs  rclone cat REMOTE:path | age -d | zstd -d | tar -x
 * on a generated profile of about 1 GB, to three loopback servers: moto's S3
 * server, Apache httpd with mod_dav over TLS, OpenSSH's sshd (the same ones
 * the tests use). Targets (issue 13): wall time ≤ 1.1× the pipeline per
 * destination, Cairn's peak RSS ≤ 200 MB. Restore is also printed beside the
 * pipeline followed by `sync -f`: Cairn's restore is durable before the
 * swap, the plain pipeline leaves its files in the page cache.
 *
 *   CAIRN_BENCH_GB=0.3 npm run bench:destinations      a smaller profile
 *   CAIRN_BENCH_ONLY=s3,sftp npm run bench:destinations some destinations
 *   CAIRN_BENCH_RUNS=2 …                               best of two runs each
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useRealKeychain } from '../test/support/keyring.js'
import { generateProfile } from './lib/generate-profile.js'
import { s3Target, sftpTarget, webdavTarget, type Target } from './lib/targets.js'
import { timed, writeRssHook, type Timing } from './lib/timed.js'
import { fmt, printTable, settle, timePipelineRestores } from './support.js'

const GB = Number(process.env.CAIRN_BENCH_GB ?? 1)
const RUNS = Number(process.env.CAIRN_BENCH_RUNS ?? 1)
const ONLY = (process.env.CAIRN_BENCH_ONLY ?? 's3,webdav,sftp').split(',')
const CLI = join(import.meta.dirname, 'cli.js')
const work = mkdtempSync(join(tmpdir(), 'cairn-bench-destinations-'))
const rssHook = writeRssHook(work)

const best = (a: Timing, b: Timing) => (b.seconds < a.seconds ? b : a)
const none: Timing = { seconds: Infinity, cpuSeconds: NaN, rssMb: null, stdout: '' }

async function measure(target: Target, base: string, recipient: string) {
  const profileDir = join(base, 'profile')
  const cairn = (...args: string[]) =>
    timed(process.execPath, ['-r', rssHook, CLI, ...args], target.env)
  // rclone's own environment settings: no config file, no CA bundle of the machine's AWS setup.
  const rcloneEnv = { RCLONE_CONFIG: '/dev/null', AWS_CA_BUNDLE: '', ...target.rcloneEnv }
  const shell = (script: string) => timed('bash', ['-c', `set -o pipefail; ${script}`], rcloneEnv)
  const refObject = `${target.remote}${target.remote.endsWith(':') ? '' : '/'}ref.tar.zst.age`
  let cairnBackup = none
  let refBackup = none
  let cairnRestore = none
  let refRestore = none
  let refDurable = none
  // As a user would: a named destination, its secret in the keychain.
  const name = `bench-${target.kind.split(' ')[0]?.toLowerCase()}`
  execFileSync(
    process.execPath,
    [CLI, 'destination', 'add', '--profile', profileDir, name, target.url, ...target.addOptions],
    {
      input: target.addInput ?? '',
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { ...process.env, ...target.env },
    },
  )
  let backupUrl = ''
  for (let run = 0; run < RUNS; run++) {
    settle()
    const c = await cairn(
      'backup',
      '--profile',
      profileDir,
      '--to',
      name,
      '--no-retention',
      '--json',
    )
    backupUrl = (JSON.parse(c.stdout) as { path: string }).path
    cairnBackup = best(cairnBackup, c)
    settle()
    refBackup = best(
      refBackup,
      await shell(
        `tar -c -C "${profileDir}" . | zstd -1 -q | age -r ${recipient} | rclone rcat "${refObject}"` +
          (target.rcatCheckRefused
            ? ` 2>"${base}/rcat.err" || grep -q 'Post request rcat error' "${base}/rcat.err"`
            : ''),
      ),
    )
  }
  for (let run = 0; run < RUNS; run++) {
    const restored = join(base, `restored-${run}`)
    settle()
    cairnRestore = best(
      cairnRestore,
      await cairn(
        'restore',
        backupUrl,
        '--profile',
        restored,
        '--key-file',
        join(base, 'key.hex'),
        ...target.options,
      ),
    )
    rmSync(restored, { recursive: true, force: true })
    const refRestored = join(base, `ref-restored-${run}`)
    const { plain, durable } = await timePipelineRestores(
      shell,
      `rclone cat "${refObject}" | age -d -i "${base}/key.txt" | zstd -d -q | tar -x -C "${refRestored}"`,
      refRestored,
    )
    refRestore = best(refRestore, plain)
    refDurable = best(refDurable, durable)
  }
  return { cairnBackup, refBackup, cairnRestore, refRestore, refDurable }
}

const targets: Record<string, () => Promise<Target>> = {
  s3: s3Target,
  webdav: webdavTarget,
  sftp: sftpTarget,
}

const keychain = await useRealKeychain()
process.env.DBUS_SESSION_BUS_ADDRESS = keychain.address
try {
  const base = join(work, 'bench')
  mkdirSync(base)
  console.log(`Generating a ${GB} GB profile…`)
  const { bytes } = generateProfile(join(base, 'profile'), GB)
  const recipient = execFileSync('age-keygen', ['-y', join(base, 'key.txt')])
    .toString()
    .trim()
  execFileSync('bash', ['-c', `tar -c -C "${join(base, 'profile')}" . > /dev/null`]) // warm the page cache
  const rows: string[][] = []
  const r = (a: number, b: number) => `${fmt(a / b, 2)}×`
  for (const kind of ONLY) {
    const make = targets[kind]
    if (!make) throw new Error(`CAIRN_BENCH_ONLY: no destination kind "${kind}" (s3, webdav, sftp)`)
    const target = await make()
    try {
      console.log(`${target.kind}…`)
      const m = await measure(target, base, recipient)
      rows.push(
        [
          `${target.kind}: backup (s)`,
          fmt(m.cairnBackup.seconds, 2),
          fmt(m.refBackup.seconds, 2),
          r(m.cairnBackup.seconds, m.refBackup.seconds),
          '≤ 1.10×',
        ],
        [
          `${target.kind}: restore (s)`,
          fmt(m.cairnRestore.seconds, 2),
          fmt(m.refRestore.seconds, 2),
          r(m.cairnRestore.seconds, m.refRestore.seconds),
          '≤ 1.10×',
        ],
        [
          `${target.kind}: backup, CPU (s)`,
          fmt(m.cairnBackup.cpuSeconds, 2),
          fmt(m.refBackup.cpuSeconds, 2),
          r(m.cairnBackup.cpuSeconds, m.refBackup.cpuSeconds),
          '',
        ],
        [
          `${target.kind}: restore, CPU (s)`,
          fmt(m.cairnRestore.cpuSeconds, 2),
          fmt(m.refRestore.cpuSeconds, 2),
          r(m.cairnRestore.cpuSeconds, m.refRestore.cpuSeconds),
          '',
        ],
        [
          `${target.kind}: restore vs durable pipeline (s)`,
          fmt(m.cairnRestore.seconds, 2),
          fmt(m.refDurable.seconds, 2),
          r(m.cairnRestore.seconds, m.refDurable.seconds),
          '',
        ],
        [
          `${target.kind}: peak RSS, backup (MB)`,
          fmt(m.cairnBackup.rssMb ?? NaN, 0),
          '',
          '',
          '≤ 200',
        ],
        [
          `${target.kind}: peak RSS, restore (MB)`,
          fmt(m.cairnRestore.rssMb ?? NaN, 0),
          '',
          '',
          '≤ 200',
        ],
      )
    } finally {
      await target.stop()
    }
  }
  printTable(
    `Destinations benchmark: profile of ${fmt(bytes / 1e9, 2)} GB (40% SQLite mailbox, 60% incompressible attachments), best of ${RUNS}`,
    ['measure', 'Cairn', 'pipeline', 'ratio', 'target'],
    rows,
  )
  console.log(
    '\nPipelines: tar -c | zstd -1 | age -r … | rclone rcat  and  rclone cat | age -d | zstd -d | tar -x (Debian tar, zstd, age, rclone).' +
      '\nThe durable pipeline ends with sync -f on what it unpacked: Cairn syncs the restored profile before it swaps it in (a crash may not lose it).' +
      '\nEach run starts after a sync, so none pays for the writeback of another.' +
      '\nCPU is user + system seconds of the command and all it ran (not the servers): on a shared machine it moves less than wall time.',
  )
} finally {
  keychain.stop()
  rmSync(work, { recursive: true, force: true })
}
