import { describe, expect, it } from 'vitest'
import { quotedBody } from '../../../main/mail/compose/quote'

const PIXEL = 'data:image/png;base64,iVBORw0KGgo='

describe('quoted mail', () => {
  it('keeps nothing that loads from the network, in whatever attribute it hides', () => {
    // What a hostile (or merely marketing) message holds; quoted in a reply, it goes to
    // the Drafts folder and out under the user's name, where other clients load it.
    const html = `<table background="http://t.example/1"><tr>
      <td style="background:url(http://t.example/2)">cell</td></tr></table>
      <img src="${PIXEL}" srcset="http://t.example/3 1x" alt="kept">
      <video poster="http://t.example/4" src="https://t.example/5"></video>
      <audio src="//t.example/6"></audio>
      <svg><image href="http://t.example/7"></image><image xlink:href="http://t.example/8"></image></svg>
      <input type="image" src="http://t.example/9">
      <picture><source srcset="http://t.example/10"><img src="http://t.example/11" alt="logo"></picture>
      <div style="background-image: url(&quot;http://t.example/12&quot;)">text</div>
      <p style="color: red">red</p>`
    const quoted = quotedBody({ html, text: '' }, () => null)
    expect(quoted).not.toContain('t.example')
    // What the reader sees stays: the text, the inline image, a remote image's alt text.
    expect(quoted).toContain('cell')
    expect(quoted).toContain(`<img src="${PIXEL}" alt="kept">`)
    expect(quoted).toContain('[logo]')
    expect(quoted).toContain('text')
    expect(quoted).toContain('<p style="color: red">red</p>')
  })
})
