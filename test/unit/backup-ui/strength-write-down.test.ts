import { describe, expect, it } from 'vitest'
import {
  loadStrengthChecker,
  MIN_LENGTH,
  vaultPasswordProblem,
} from '../../../renderer/backup/password-strength'
import { challengeFields, challengeReady, keyLines } from '../../../renderer/backup/write-down'

describe('the vault password strength meter (zxcvbn-ts)', () => {
  it('rates common passwords weak and long unusual phrases strong', async () => {
    const check = await loadStrengthChecker()
    expect(check('password123').acceptable).toBe(false)
    expect(check('password123').label).toMatch(/weak/i)
    const strong = check('violet tractor sleeps under 4 mango clouds')
    expect(strong.score).toBeGreaterThanOrEqual(3)
    expect(strong.acceptable).toBe(true)
    // The app's own words count against a password.
    expect(check('cairnbackup').acceptable).toBe(false)
  })

  it('asks for a long enough, strong enough password typed the same twice', async () => {
    const check = await loadStrengthChecker()
    const good = 'violet tractor sleeps under 4 mango clouds'
    expect(vaultPasswordProblem('short', 'short', check('short'))).toMatch(
      new RegExp(`at least ${MIN_LENGTH}`),
    )
    expect(vaultPasswordProblem('password123', 'password123', check('password123'))).toMatch(
      /too easy to guess/,
    )
    expect(vaultPasswordProblem(good, '', check(good))).toMatch(/again/)
    expect(vaultPasswordProblem(good, `${good}!`, check(good))).toBe('The two passwords differ.')
    expect(vaultPasswordProblem(good, good, check(good))).toBeNull()
  })
})

describe('writing the key down', () => {
  it('asks for the chosen groups and checks their form as typed', () => {
    const fields = challengeFields([3, 12], ['ab12', 'zz'])
    expect(fields.map((f) => f.label)).toEqual(['Group 3 of the key', 'Group 12 of the key'])
    expect(fields[0]?.complete).toBe(true)
    expect(fields[1]?.problem).toMatch(/"z" is not a hex digit/)
    expect(challengeReady(fields)).toBe(false)
    expect(challengeReady(challengeFields([3, 12], ['AB12', ' cd-34 ']))).toBe(true)
  })

  it('prints the 16 groups on two lines of eight', () => {
    const groups = Array.from({ length: 16 }, (_, i) => i.toString(16).repeat(4))
    expect(keyLines(groups)).toEqual([groups.slice(0, 8).join(' '), groups.slice(8).join(' ')])
  })
})
