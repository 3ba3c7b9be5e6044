/**
 * Writing the key down: the 64 digits shown in 16 numbered groups, and the
 * check that the user has them: they type a few asked groups back.
 */
export interface ChallengeField {
  group: number
  label: string
  /** Well-formed so far (4 hex digits when complete). */
  complete: boolean
  problem: string | null
}

export function challengeFields(
  challenge: readonly number[],
  answers: readonly string[],
): ChallengeField[] {
  return challenge.map((group, i) => {
    const typed = (answers[i] ?? '').replace(/[\s-]/g, '')
    const bad = /[^0-9a-f]/i.exec(typed)
    return {
      group,
      label: `Group ${group} of the key`,
      complete: !bad && typed.length === 4,
      problem: bad
        ? `"${bad[0]}" is not a hex digit (0-9, a-f).`
        : typed.length > 4
          ? 'A group has 4 digits.'
          : null,
    }
  })
}

export function challengeReady(fields: readonly ChallengeField[]): boolean {
  return fields.length > 0 && fields.every((f) => f.complete)
}

/** The key's 16 groups as two printed lines of 8, the way the recovery sheet shows them. */
export function keyLines(groups: readonly string[]): [string, string] {
  return [groups.slice(0, 8).join(' '), groups.slice(8).join(' ')]
}
