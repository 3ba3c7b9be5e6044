import { describe, expect, it } from 'vitest'
import { cssLoadsRemote, prepareMailHtml } from '../../main/mail/mail-html'

const noInline = { inlineImageUrl: () => null }
const clean = (html: string) => prepareMailHtml(html, noInline)

describe('mail HTML for the reader frame', () => {
  it('removes scripts, frames, plug-ins, handlers, javascript: links, <base> and <meta http-equiv>', () => {
    const { html } = clean(
      [
        '<script>alert(1)</script>',
        '<svg><script>alert(2)</script><a xlink:href="javascript:alert(3)">x</a></svg>',
        '<img src="data:image/png;base64,AA" onerror="alert(4)" ONLOAD="alert(5)">',
        '<iframe srcdoc="<script>alert(6)</script>"></iframe><frameset></frameset>',
        '<object data="x.swf"></object><embed src="x.swf"><applet></applet>',
        '<a href="javascript:alert(7)">a</a><a href=" JaVaScRiPt:alert(8)">b</a><a href="vbscript:x">c</a>',
        '<a href="data:text/html,<script>alert(9)</script>">d</a>',
        '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<link rel="stylesheet" href="https://evil.example/s.css"><template><script>alert(10)</script></template>',
        '<form action="https://evil.example/"><button formaction="https://evil.example/">go</button></form>',
        '<a href="https://example.org/" target="_self" ping="https://evil.example/ping">ok</a>',
      ].join(''),
    )
    expect(html).not.toMatch(
      /<script|<iframe|<frameset|<object|<embed|<applet|<base href|http-equiv|<link|<template/i,
    )
    expect(html).not.toMatch(/alert|javascript:|vbscript:|data:text|evil\.example|\bon[a-z]+=/i)
    expect(html).toContain('<a href="https://example.org/">ok</a>')
    // Every link opens outside the frame.
    expect(html).toMatch(
      /<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><base target="_blank">/,
    )
  })

  it('parses as a browser without scripting does (noscript content is markup, not text)', () => {
    const result = clean(
      '<noscript><img src="https://tracker.example/p.gif" onerror="x()"></noscript>',
    )
    expect(result.hasRemoteContent).toBe(true)
    expect(result.html).not.toContain('onerror')
  })

  it('points cid: images at the inline-image URL it is given, and drops unknown ones', () => {
    const urls: Record<string, string> = { 'logo@x': '/mail/v/inline/7' }
    const { html, hasRemoteContent } = prepareMailHtml(
      '<img alt="a" src="cid:logo@x"><img alt="b" src="CID:%3Clogo@x%3E"><img alt="c" src="cid:other@x">',
      { inlineImageUrl: (id) => urls[id] ?? null },
    )
    expect(html).toContain('<img alt="a" src="/mail/v/inline/7">')
    expect(html).toContain('<img alt="b" src="/mail/v/inline/7">')
    expect(html).toContain('<img alt="c">')
    expect(hasRemoteContent).toBe(false)
  })

  it('tells whether a mail wants remote content, wherever it asks for it', () => {
    const remote = [
      '<img src="https://t.example/p.gif">',
      '<img src="//t.example/p.gif">',
      '<img srcset="a.png 1x, https://t.example/p.gif 2x">',
      '<table background="http://t.example/bg.png"></table>',
      '<video poster="https://t.example/poster.png"></video>',
      '<div style="background:url(\'https://t.example/bg.png\')"></div>',
      '<style>@import "https://t.example/s.css";</style>',
      '<style>p { background: url(https://t.example/bg.png) }</style>',
      '<svg><image href="https://t.example/i.png"></image></svg>',
    ]
    for (const html of remote) expect(clean(html).hasRemoteContent, html).toBe(true)
    const local = [
      '<img src="data:image/png;base64,AA">',
      '<div style="background:url(data:image/png;base64,AA)"></div>',
      '<a href="https://example.org/">a link is not a load</a>',
      '<img src="relative/path.png">',
    ]
    for (const html of local) expect(clean(html).hasRemoteContent, html).toBe(false)
    // A relative load means nothing in a mail (it would reach the host's own pages): dropped.
    expect(clean('<img src="/index.html">').html).toContain('<img>')
  })

  it('keeps a document with a doctype and copes with broken markup', () => {
    expect(clean('<!DOCTYPE html><p>x').html).toMatch(/^<!DOCTYPE html>/)
    expect(clean('<p>unclosed <b>bold <table><tr><td>cell').html).toContain('cell')
    expect(clean('').html).toMatch(/^<!doctype html><html><head>/)
  })

  it('finds remote loads in CSS', () => {
    expect(cssLoadsRemote('a{background:url( "https://x" )}')).toBe(true)
    expect(cssLoadsRemote('a{background:url(cid:x)}')).toBe(false)
    expect(cssLoadsRemote('@import url(data:text/css,a)')).toBe(true)
  })
})
