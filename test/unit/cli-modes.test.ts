import { describe, expect, it } from 'vitest'
import { cliArgsOf } from '../../main/cli/app-mode'
import { commands } from '../../main/cli/commands'
import { buildsOnPrepare } from '../../scripts/prepare.mjs'

describe('the app binary in CLI mode', () => {
  it('takes the arguments after --cli --, whatever Chromium switches come before', () => {
    expect(cliArgsOf(['/opt/Cairn/cairn-app', '--cli', '--', 'import', '--profile', 'P'])).toEqual([
      'import',
      '--profile',
      'P',
    ])
    expect(
      cliArgsOf([
        '/opt/Cairn/cairn-app',
        '--ozone-platform=headless',
        '--disable-gpu',
        '--cli',
        '--',
        '--help',
      ]),
    ).toEqual(['--help'])
    // `electron . --cli -- …` in development: the app folder comes first.
    expect(cliArgsOf(['electron', '.', '--cli', '--', 'list', '--to', 'D'])).toEqual([
      'list',
      '--to',
      'D',
    ])
    expect(cliArgsOf(['Cairn', '--cli'])).toEqual([])
  })

  it('keeps the command’s own arguments as they are, even ones that look like --cli or --', () => {
    expect(cliArgsOf(['Cairn', '--cli', '--', 'import', '--', '--cli', 'a b.mbox'])).toEqual([
      'import',
      '--',
      '--cli',
      'a b.mbox',
    ])
  })

  it('is a normal start without --cli, or with --cli only after the end of switches', () => {
    expect(cliArgsOf(['Cairn'])).toBeNull()
    expect(cliArgsOf(['Cairn', '--profile', '/tmp/p'])).toBeNull()
    expect(cliArgsOf(['Cairn', '--', '--cli'])).toBeNull()
    expect(cliArgsOf(['Cairn', 'mailto:x@example.com'])).toBeNull()
  })
})

describe('the command table', () => {
  it('names and describes each command as its module does (help loads no module)', async () => {
    for (const entry of commands) {
      const command = await entry.load()
      expect({ name: command.name, summary: command.summary }).toEqual({
        name: entry.name,
        summary: entry.summary,
      })
    }
    expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length)
  })
})

describe('npm prepare', () => {
  it('builds after npm install and npm ci, never when npx or npm link links the folder', () => {
    expect(buildsOnPrepare('install')).toBe(true)
    expect(buildsOnPrepare('ci')).toBe(true)
    expect(buildsOnPrepare('exec')).toBe(false)
    expect(buildsOnPrepare('link')).toBe(false)
    expect(buildsOnPrepare(undefined)).toBe(false)
  })
})
