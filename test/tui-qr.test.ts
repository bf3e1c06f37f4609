/**
 * The invite screen's QR code scans: draw the screen as text (Ink, ink-testing-library), turn the half-block
 * characters back into modules, paint them into an RGBA image with a quiet zone and decode it with jsQR.
 */
import { randomBytes } from 'node:crypto'
import { render } from 'ink-testing-library'
import jsQRImport from 'jsqr'
import { createElement } from 'react'
import t from 'tap'
import { InviteScreen } from '../cli/tui/components/Overlays.js'
import { qrLines } from '../cli/tui/qr.js'

/** jsqr is CommonJS with a default export in its types: take the function whichever way the loader hands it over. */
type JsQR = typeof jsQRImport.default
const jsQR: JsQR = (jsQRImport as unknown as { default?: JsQR }).default ?? (jsQRImport as unknown as JsQR)

const HALF: Record<string, [number, number]> = { '█': [1, 1], '▀': [1, 0], '▄': [0, 1], ' ': [0, 0] }

/** Text lines of half blocks → rows of modules (1 dark). */
function modulesOf (lines: string[]): number[][] {
  const width = Math.max(...lines.map(l => [...l].length))
  const rows: number[][] = []
  for (const line of lines) {
    const chars = [...line.padEnd(width, ' ')]
    const top: number[] = []
    const bottom: number[] = []
    for (const ch of chars) {
      const m = HALF[ch]
      if (m === undefined) throw new Error(`not a QR character: ${JSON.stringify(ch)}`)
      top.push(m[0]); bottom.push(m[1])
    }
    rows.push(top, bottom)
  }
  return rows
}

/** Paint modules into RGBA, `scale` pixels per module, with `quiet` light modules around. */
function rgba (rows: number[][], scale = 4, quiet = 4): { data: Uint8ClampedArray, width: number, height: number } {
  const w = (rows[0].length + 2 * quiet) * scale
  const h = (rows.length + 2 * quiet) * scale
  const data = new Uint8ClampedArray(w * h * 4).fill(255)
  rows.forEach((row, y) => row.forEach((dark, x) => {
    if (dark === 0) return
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < scale; dx++) {
        const i = (((y + quiet) * scale + dy) * w + (x + quiet) * scale + dx) * 4
        data[i] = 0; data[i + 1] = 0; data[i + 2] = 0
      }
    }
  }))
  return { data, width: w, height: h }
}

function decode (lines: string[]): string | undefined {
  const img = rgba(modulesOf(lines))
  return jsQR(img.data, img.width, img.height)?.data
}

const invite = (bytes: number): string => 'tern:' + randomBytes(bytes).toString('base64url')

t.test('the QR code drawn on the invite screen decodes to the invite', async t => {
  const uri = invite(330) // a v1 invite: 246 fixed bytes + a relay multiaddr
  const r = render(createElement(InviteScreen, { overlay: { kind: 'invite', invite: uri, expiresAt: null, error: null }, width: 160, height: 80 }))
  await new Promise(resolve => setTimeout(resolve, 50))
  const lines = (r.lastFrame() ?? '').split('\n')
  const first = lines.findIndex(l => /[█▀▄]/.test(l))
  let last = first
  while (last + 1 < lines.length && /[█▀▄]/.test(lines[last + 1])) last++
  t.ok(first > 0, 'a QR code is on the screen')
  const qr = lines.slice(first, last + 1)
  t.ok(qr.every(l => /^[█▀▄ ]*$/.test(l)), 'drawn only with half blocks and spaces')
  t.equal(decode(qr), uri, 'jsQR reads the invite back')
  r.unmount()
})

t.test('qrLines round-trips invites of every plausible size', async t => {
  for (const bytes of [1, 50, 246, 300, 400, 512]) {
    const uri = invite(bytes)
    const lines = qrLines(uri)
    t.equal(decode(lines), uri, `${bytes}-byte invite (${uri.length} characters, ${lines.length} rows × ${lines[0].length} columns)`)
  }
})
