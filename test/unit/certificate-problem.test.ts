import { describe, expect, it } from 'vitest'
import { certificateProblem } from '../../main/mail/accounts/certificates'

describe('certificateProblem', () => {
  it('finds an untrusted certificate by its TLS code', () => {
    const error = Object.assign(new Error('self-signed certificate'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect(certificateProblem(error)).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
  })

  it("finds it when nodemailer replaced the code with ECONNECTION (STARTTLS to a private CA's certificate)", () => {
    // What nodemailer's SMTP connection rejects with after a failed STARTTLS upgrade.
    const error = Object.assign(new Error('unable to verify the first certificate'), {
      code: 'ECONNECTION',
      command: 'CONN',
    })
    expect(certificateProblem(error)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
  })

  it('leaves other connection failures alone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), {
      code: 'ECONNECTION',
    })
    expect(certificateProblem(refused)).toBeNull()
  })
})
