import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitForPort, type Dovecot } from './dovecot'
import { freePort } from './postgres'
import type { TestCertificate } from './test-ca'

export interface Postfix {
  /** SMTP submission: STARTTLS required, SASL through Dovecot's auth service. */
  submissionPort: number
  dir: string
  log(): string
  start(): Promise<void>
  stop(): Promise<void>
}

/** Every Postfix daemon Debian's master.cf runs, none chrooted (this instance lives in a temp folder). */
const SERVICES = `
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

/**
 * A private Postfix (Debian's postfix) for example.test: submission on a
 * loopback port with STARTTLS required and SASL authentication through the
 * given Dovecot's auth service, delivering every example.test recipient
 * into that Dovecot over LMTP. Missing packages fail the test.
 */
export async function startPostfix(
  dovecot: Dovecot,
  certificate: TestCertificate,
): Promise<Postfix> {
  if (!existsSync('/usr/sbin/postfix'))
    throw new Error('The send tests need Postfix (Debian: postfix)')
  const dir = mkdtempSync(join(tmpdir(), 'cairn-postfix-'))
  chmodSync(dir, 0o755)
  const conf = join(dir, 'conf')
  mkdirSync(conf)
  mkdirSync(join(dir, 'queue'))
  mkdirSync(join(dir, 'data'))
  execFileSync('chown', ['postfix', join(dir, 'data')])
  const submissionPort = await freePort()
  writeFileSync(
    join(conf, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.2/32
virtual_mailbox_domains = example.test
virtual_transport = lmtp:inet:127.0.0.1:${dovecot.lmtpPort}
lmtp_tls_security_level = none
smtpd_tls_cert_file = ${certificate.certFile}
smtpd_tls_key_file = ${certificate.keyFile}
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:${dovecot.authPort}
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
message_size_limit = 104857600
maillog_file = ${dir}/postfix.log
maillog_file_prefixes = ${dir}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
smtputf8_enable = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`,
  )
  writeFileSync(
    join(conf, 'master.cf'),
    `127.0.0.1:${submissionPort} inet n - n - - smtpd\n${SERVICES}`,
  )
  const postfix = (...args: string[]) =>
    spawnSync('/usr/sbin/postfix', ['-c', conf, ...args], { encoding: 'utf8' })
  const log = () => {
    try {
      return readFileSync(join(dir, 'postfix.log'), 'utf8')
    } catch {
      return ''
    }
  }
  const start = async () => {
    const result = postfix('start')
    if (result.status !== 0) throw new Error(`postfix did not start: ${result.stderr}\n${log()}`)
    await waitForPort(submissionPort)
  }
  await start()
  return {
    submissionPort,
    dir,
    log,
    start,
    async stop() {
      postfix('stop')
      for (let i = 0; i < 100; i++) {
        if (!existsSync(join(dir, 'queue', 'pid', 'master.pid'))) break
        await new Promise((r) => setTimeout(r, 50))
      }
      // The port is free once the master is gone.
      await new Promise((r) => setTimeout(r, 200))
    },
  }
}
