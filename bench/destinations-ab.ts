/**
 * npm run bench:destinations-ab — two (or more) builds of Cairn side by
 * side on one loopback server and one backup, runs alternating (A B B A …),
 * so that a change of a tenth of a CPU-second shows through the noise of a
 * shared machine, which a single run of bench:destinations cannot.
 *
 *   CAIRN_AB_CLIS=/copy/of/old/out/main/cli.js,out/main/cli.js   the builds (default: this one)
 *   CAIRN_AB_KIND=s3|webdav|sftp    the server (default s3)
 *   CAIRN_AB_OP=restore|backup      what is timed (default restore)
 *   CAIRN_AB_ROUNDS=4               runs of each build
 *   CAIRN_AB_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/p'   node options for the timed runs
 *   CAIRN_BENCH_GB=0.5              profile size
 *
 * A copy of an old out/ directory needs node_modules beside it (a symlink)
 * to find its packages. Prints each run and the medians (wall, CPU, peak RSS).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { useRealKeychain } from '../test/support/keyring.js'
import { generateProfile } from './lib/generate-profile.js'
import { s3Target, sftpTarget, webdavTarget, type Target } from './lib/targets.js'
import { timed, writeRssHook, type Timing } from './lib/timed.js'
import { fmt, percentile, settle } from './support.js'

const GB = Number(process.env.CAIRN_BENCH_GB ?? 0.5)
const KIND = process.env.CAIRN_AB_KIND ?? 's3'
const OP = process.env.CAIRN_AB_OP ?? 'restore'
const ROUNDS = Number(process.env.CAIRN_AB_ROUNDS ?? 4)
const CLIS = (process.env.CAIRN_AB_CLIS ?? join(import.meta.dirname, 'cli.js')).split(',')
const NODE_ARGS = (process.env.CAIRN_AB_NODE_ARGS ?? '').split(' ').filter(Boolean)
const targets: Record<string, () => Promise<Target>> = {
  s3: s3Target,
  webdav: webdavTarget,
  sftp: sftpTarget,
}

const work = mkdtempSync(join(tmpdir(), 'cairn-bench-ab-'))
const rssHook = writeRssHook(work)
const keychain = await useRealKeychain()
process.env.DBUS_SESSION_BUS_ADDRESS = keychain.address
const makeTarget = targets[KIND]
if (!makeTarget) throw new Error(`CAIRN_AB_KIND: no destination kind "${KIND}" (s3, webdav, sftp)`)
const target = await makeTarget()
try {
  const base = join(work, 'ab')
  mkdirSync(base)
  const profileDir = join(base, 'profile')
  generateProfile(profileDir, GB)
  const first = CLIS[0] as string
  execFileSync(
    process.execPath,
    [first, 'destination', 'add', '--profile', profileDir, 'ab', target.url, ...target.addOptions],
    {
      input: target.addInput ?? '',
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { ...process.env, ...target.env },
    },
  )
  execFileSync('bash', ['-c', `tar -c -C "${profileDir}" . > /dev/null`]) // warm the page cache
  const cairn = (cli: string, args: string[], nodeArgs = NODE_ARGS) =>
    timed(process.execPath, [...nodeArgs, '-r', rssHook, cli, ...args], target.env)
  const backup = (cli: string, nodeArgs?: string[]) =>
    cairn(
      cli,
      // --full: after the first, a backup of the unchanged profile is an empty incremental link.
      ['backup', '--profile', profileDir, '--to', 'ab', '--no-retention', '--full', '--json'],
      nodeArgs,
    )
  let backupUrl = ''
  if (OP === 'restore') {
    settle()
    backupUrl = (JSON.parse((await backup(first, [])).stdout) as { path: string }).path
  }
  const runs = new Map<string, Timing[]>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const cli of round % 2 === 0 ? CLIS : [...CLIS].reverse()) {
      settle()
      const restored = join(base, 'restored')
      const run =
        OP === 'restore'
          ? await cairn(cli, [
              'restore',
              backupUrl,
              '--profile',
              restored,
              '--key-file',
              join(base, 'key.hex'),
              ...target.options,
            ])
          : await backup(cli)
      rmSync(restored, { recursive: true, force: true })
      console.log(
        `${cli}  ${fmt(run.seconds, 2)} s  ${fmt(run.cpuSeconds, 2)} CPU-s  ${fmt(run.rssMb ?? NaN, 0)} MB`,
      )
      runs.set(cli, [...(runs.get(cli) ?? []), run])
    }
  }
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    )
  console.log(`\n${target.kind}, ${OP} of a ${GB} GB profile, medians of ${ROUNDS}:`)
  for (const [cli, timings] of runs)
    console.log(
      `${cli}  ${fmt(median(timings.map((t) => t.seconds)), 2)} s  ` +
        `${fmt(median(timings.map((t) => t.cpuSeconds)), 2)} CPU-s  ` +
        `${fmt(median(timings.map((t) => t.rssMb ?? NaN)), 0)} MB ` +
        `(highest ${fmt(Math.max(...timings.map((t) => t.rssMb ?? NaN)), 0)})`,
    )
} finally {
  await target.stop()
  keychain.stop()
  rmSync(work, { recursive: true, force: true })
}
