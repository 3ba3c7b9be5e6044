/**
 * The vault password's strength meter: zxcvbn-ts's estimate (common
 * passwords, words, names, keyboard patterns), in plain words. The
 * estimator and its dictionaries are loaded on first use, so the app's
 * first screen does not carry them.
 */
export type Score = 0 | 1 | 2 | 3 | 4

export interface StrengthView {
  score: Score
  label: string
  /** What would make it better (zxcvbn's warning or first suggestion), or null. */
  advice: string | null
  acceptable: boolean
}

/** Below this score the vault password is refused: guessable within the vault's 10 tries is not the point; reuse elsewhere is. */
export const MIN_SCORE: Score = 2
export const MIN_LENGTH = 8

const LABELS: Record<Score, string> = {
  0: 'Very weak',
  1: 'Weak',
  2: 'Fair',
  3: 'Strong',
  4: 'Very strong',
}

export function strengthView(result: {
  score: Score
  feedback: { warning: string | null; suggestions: string[] }
}): StrengthView {
  return {
    score: result.score,
    label: LABELS[result.score],
    advice: result.feedback.warning || result.feedback.suggestions[0] || null,
    acceptable: result.score >= MIN_SCORE,
  }
}

/** What stops the vault password from being used, or null. */
export function vaultPasswordProblem(
  password: string,
  again: string,
  strength: StrengthView | null,
): string | null {
  if (password.length === 0) return 'Choose a password.'
  if (password.length < MIN_LENGTH)
    return `Use at least ${MIN_LENGTH} characters; a few unrelated words are easy to remember and hard to guess.`
  if (strength && !strength.acceptable)
    return `This password is too easy to guess${strength.advice ? ` (${strength.advice.replace(/\.$/, '')})` : ''}. Add words or characters.`
  if (again.length === 0) return 'Type the password again to be sure of it.'
  if (password !== again) return 'The two passwords differ.'
  return null
}

export type StrengthChecker = (password: string, userInputs?: string[]) => StrengthView

let loading: Promise<StrengthChecker> | null = null

/** zxcvbn-ts with its English and common dictionaries, loaded once. */
export function loadStrengthChecker(): Promise<StrengthChecker> {
  loading ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ])
    const zxcvbn = new ZxcvbnFactory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    })
    return (password, userInputs = []) =>
      strengthView(zxcvbn.check(password.slice(0, 256), ['cairn', 'backup', ...userInputs]))
  })()
  return loading
}
