import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openProfile } from '../../main/profile/profile'
import { isCairnError } from '../../main/shared/errors'
import { mountTmpfs } from '../support/mounts'
import { tempDir } from '../support/temp'

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('profile', () => {
  it('creates the folder, its settings and a stable profile id', () => {
    const dir = join(tempDir(), 'nested', 'profile')
    const first = openProfile(dir)
    const id = first.id
    first.close()
    const second = openProfile(dir)
    expect(second.id).toBe(id)
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({
      version: 1,
      profileId: id,
    })
    second.close()
  })

  it('refuses a second process with a message naming the holder', async () => {
    const dir = tempDir()
    // Another process takes the lock the way Cairn does and keeps running.
    const holder = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');fs.writeFileSync(${JSON.stringify(join(dir, 'cairn.lock'))}, JSON.stringify({pid:process.pid,host:${JSON.stringify(hostname())},since:'now'}),{flag:'wx'});console.log('ready');setTimeout(()=>{},60000)`,
    ])
    await new Promise((resolve) => holder.stdout.once('data', resolve))
    try {
      const error = catchError(() => openProfile(dir))
      expect(isCairnError(error, 'PROFILE_LOCKED')).toBe(true)
      expect((error as Error).message).toContain(
        `already open in another Cairn process (pid ${holder.pid}`,
      )
    } finally {
      holder.kill('SIGKILL')
    }
  })

  it('takes over a lock left by a process that is gone', () => {
    const dir = tempDir()
    writeFileSync(
      join(dir, 'cairn.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: 'then' }),
    )
    const profile = openProfile(dir)
    expect(JSON.parse(readFileSync(join(dir, 'cairn.lock'), 'utf8')).pid).toBe(process.pid)
    profile.close()
    expect(readdirSync(dir)).not.toContain('cairn.lock')
  })

  it('refuses one profile twice in one process', () => {
    const dir = tempDir()
    const profile = openProfile(dir)
    expect(
      isCairnError(
        catchError(() => openProfile(dir)),
        'PROFILE_LOCKED',
      ),
    ).toBe(true)
    profile.close()
  })

  it('explains a read-only profile folder', () => {
    const dir = mountTmpfs({ readOnly: true })
    const error = catchError(() => openProfile(dir))
    expect(isCairnError(error, 'PROFILE_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toMatch(/read-only|cannot create/)
  })

  it('explains a settings file that is not JSON, and leaves it alone', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'settings.json'), '{ broken')
    const error = catchError(() => openProfile(dir))
    expect(isCairnError(error, 'SETTINGS_INVALID')).toBe(true)
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('{ broken')
    // The failed open released the lock.
    expect(readdirSync(dir)).not.toContain('cairn.lock')
  })

  it('writes settings atomically, leaving no temporary files', () => {
    const dir = tempDir()
    const profile = openProfile(dir)
    for (let i = 0; i < 20; i++) {
      profile.updateSettings((s) => ({
        ...s,
        mail: { remoteImagesAllowedFrom: [`n${i}@example.com`] },
      }))
    }
    profile.close()
    expect(readdirSync(dir).sort()).toEqual(['attachments', 'settings.json'])
    expect(
      JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).mail.remoteImagesAllowedFrom,
    ).toEqual(['n19@example.com'])
  })
})
