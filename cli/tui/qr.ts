/**
 * Draw a QR code as text with half-block characters: each character is two modules stacked (▀ top dark, ▄ bottom
 * dark, █ both, space neither), with a quiet zone of QR_QUIET_ZONE light modules. Owns the drawing only; the qrcode
 * package computes the modules. Dark means foreground: the UI draws it black on white so any terminal theme scans.
 */
import QRCode from 'qrcode'

/** Light modules around the code (the QR spec asks for 4; 2 scans reliably on a screen and saves rows). */
export const QR_QUIET_ZONE = 2

/** The QR code of `text` as lines of half-block characters (width = size + 2·quiet zone, height = ceil of half that). */
export function qrLines (text: string, quiet = QR_QUIET_ZONE): string[] {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'L' })
  const size = qr.modules.size
  const full = size + 2 * quiet
  const dark = (x: number, y: number): boolean => {
    const mx = x - quiet
    const my = y - quiet
    if (mx < 0 || my < 0 || mx >= size || my >= size) return false
    return qr.modules.get(my, mx) === 1
  }
  const lines: string[] = []
  for (let y = 0; y < full; y += 2) {
    let line = ''
    for (let x = 0; x < full; x++) {
      const top = dark(x, y)
      const bottom = dark(x, y + 1)
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' '
    }
    lines.push(line)
  }
  return lines
}
