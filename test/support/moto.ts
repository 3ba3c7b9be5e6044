import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { freePort } from './postgres'

/** The Python that has moto: CAIRN_TEST_MOTO_PYTHON, else python3 on PATH (the machine's pyenv Python). */
export function motoPython(): string {
  const python = process.env.CAIRN_TEST_MOTO_PYTHON ?? 'python3'
  try {
    execFileSync(python, ['-c', 'import moto, werkzeug'], { stdio: 'pipe' })
  } catch (error) {
    throw new Error(
      `The S3 destination tests need moto's S3 server: "${python} -c 'import moto'" failed ` +
        `(${(error as Error).message.split('\n')[0]}). Set CAIRN_TEST_MOTO_PYTHON to a Python with moto 5.`,
    )
  }
  return python
}

const SERVER = `
import sys, werkzeug.serving
from moto.moto_server.werkzeug_app import create_backend_app
server = werkzeug.serving.make_server('127.0.0.1', int(sys.argv[1]), create_backend_app('s3'), threaded=True)
print('ready', flush=True)
server.serve_forever()
`

/**
 * moto with its IAM simulation on (INITIAL_NO_AUTH_ACTION_COUNT=0): every
 * request's SigV4 signature is checked against IAM users created here,
 * before the server starts, and their policies decide what each may do:
 * "writer" may do anything on S3, "reader" may only list and read. moto
 * 5.2.1 checks signatures against the request's path and query as werkzeug
 * decoded them, so a query value with an encoded "/" (a prefix, a
 * delimiter: every Cairn listing) or a key with a space fails for the
 * right key too; the launcher hands the check the request's raw URI.
 */
const AUTH_SERVER = `
import os, sys, json, threading
os.environ['INITIAL_NO_AUTH_ACTION_COUNT'] = '0'
import werkzeug.serving
from moto.moto_server.werkzeug_app import create_backend_app
from moto.iam.models import iam_backends
from moto.iam import access_control
from moto.core import DEFAULT_ACCOUNT_ID
raw = threading.local()
signed_init = access_control.IAMRequestBase.__init__
def init(self, account_id, method, path, data, body, headers, action):
    uri = getattr(raw, 'uri', None)
    if uri:
        path = uri
    signed_init(self, account_id, method, path, data, body, headers, action)
access_control.IAMRequestBase.__init__ = init
iam = iam_backends[DEFAULT_ACCOUNT_ID]['global']
users = {}
def user(name, actions):
    iam.create_user('us-east-1', name)
    key = iam.create_access_key(name)
    policy = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': actions, 'Resource': '*'}]}
    iam.put_user_policy(name, 'cairn-test', json.dumps(policy))
    users[name] = {'accessKeyId': key.access_key_id, 'secretAccessKey': key.secret_access_key}
user('writer', ['s3:*'])
user('reader', ['s3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:GetBucketObjectLockConfiguration'])
app = create_backend_app('s3')
def with_raw_uri(environ, start_response):
    raw.uri = environ.get('RAW_URI') or environ.get('REQUEST_URI')
    return app(environ, start_response)
server = werkzeug.serving.make_server('127.0.0.1', int(sys.argv[1]), with_raw_uri, threaded=True)
print('ready ' + json.dumps(users), flush=True)
server.serve_forever()
`

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
}

export interface MotoServer {
  endpoint: string
  port: number
  /** With `auth`: IAM users whose keys moto checks (writer: all of S3; reader: list and read only). */
  users: { writer: S3Credentials; reader: S3Credentials } | null
  stop(): Promise<void>
}

/** moto's S3 server on a loopback port (data in memory, gone when it stops). */
export async function startMoto(options: { auth?: boolean } = {}): Promise<MotoServer> {
  const python = motoPython()
  const port = await freePort()
  const child: ChildProcess = spawn(
    python,
    ['-c', options.auth ? AUTH_SERVER : SERVER, String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    },
  )
  let users: MotoServer['users'] = null
  let output = ''
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start:\n${output}`)), 30_000)
    let out = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const line = /^ready(.*)\n/m.exec(out)
      if (line) {
        if (options.auth) users = JSON.parse(line[1] as string) as MotoServer['users']
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`moto exited (${code}):\n${output}`))
    })
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    users,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}
