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

export interface MotoServer {
  endpoint: string
  port: number
  stop(): Promise<void>
}

/** moto's S3 server on a loopback port (data in memory, gone when it stops). */
export async function startMoto(): Promise<MotoServer> {
  const python = motoPython()
  const port = await freePort()
  const child: ChildProcess = spawn(python, ['-c', SERVER, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  })
  let output = ''
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto did not start:\n${output}`)), 30_000)
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
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
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    },
  }
}
