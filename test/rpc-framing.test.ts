/** Line framing with its byte limit, and the schema validator (docs/API.md §Framing, §Params). */
import t from 'tap'
import fc from 'fast-check'
import { LineDecoder, encodeLine, validate, toJsonSchema, type Schema } from '../node/rpc/index.js'

t.test('lines split across chunks, CRLF, blank lines', async t => {
  const d = new LineDecoder(100)
  t.same(d.push(Buffer.from('{"a":')), { lines: [], tooLong: false })
  t.same(d.push(Buffer.from('1}\n{"b":2}\r\n\n  \n{"c"')), { lines: ['{"a":1}', '{"b":2}'], tooLong: false })
  t.equal(d.buffered, 4)
  t.same(d.push(Buffer.from(':3}\n')).lines, ['{"c":3}'])
  t.equal(d.buffered, 0)
})

t.test('a multi-byte character split across chunks survives', async t => {
  const d = new LineDecoder(100)
  const bytes = Buffer.from('"héllo 🦅"\n')
  const out: string[] = []
  for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)).lines)
  t.same(out, ['"héllo 🦅"'])
})

t.test('the byte limit binds while reading', async t => {
  const d = new LineDecoder(10)
  t.same(d.push(Buffer.from('0123456789\n')).lines, ['0123456789'], 'exactly the limit')
  t.same(d.push(Buffer.from('01234')), { lines: [], tooLong: false })
  t.same(d.push(Buffer.from('567890')), { lines: [], tooLong: true }, 'one byte over, no newline yet')
  t.equal(d.buffered, 0, 'nothing kept')
  t.same(d.push(Buffer.from('\n{}\n')), { lines: [], tooLong: true }, 'dead after')
  const e = new LineDecoder(10)
  t.same(e.push(Buffer.from('ok\n' + 'x'.repeat(1000))), { lines: ['ok'], tooLong: true }, 'lines before the long one are kept')
  t.throws(() => new LineDecoder(0))
})

t.test('property: any split of any lines decodes to the same lines', async t => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }).filter(s => !s.includes('\n') && !s.includes('\r') && s.trim() !== ''), { maxLength: 8 }),
    fc.array(fc.nat(), { maxLength: 8 }),
    (lines, cuts) => {
      const bytes = Buffer.from(lines.map(l => l + '\n').join(''))
      const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
      const d = new LineDecoder(1000)
      const out: string[] = []
      let prev = 0
      for (const p of [...points, bytes.length]) { out.push(...d.push(bytes.subarray(prev, p)).lines); prev = p }
      return JSON.stringify(out) === JSON.stringify(lines)
    }
  ))
  t.equal(encodeLine({ a: 'x\ny' }), '{"a":"x\\ny"}\n', 'an encoded newline never breaks the frame')
})

t.test('schema validation', async t => {
  const s: Schema = {
    type: 'object',
    required: ['n', 's'],
    properties: {
      n: { type: 'integer', minimum: 1, maximum: 10 },
      s: { type: 'string', minLength: 1, maxLength: 3 },
      b: { type: 'string', maxBytes: 4 },
      e: { type: 'string', enum: ['x', 'y'] },
      a: { type: 'array', items: { type: 'boolean' }, maxItems: 2 },
      z: { type: 'integer', nullable: true }
    }
  }
  t.same(validate(s, { n: 1, s: '🦅🦅🦅' }), [], 'maxLength counts code points')
  t.same(validate(s, { n: 1, s: 'abcd' }).map(v => v.path), ['params.s'])
  t.same(validate(s, { n: 1, s: 'a', b: '🦅' }), [], '4 bytes')
  t.same(validate(s, { n: 1, s: 'a', b: 'é🦅' }).map(v => v.message), ['longer than 4 bytes'])
  t.same(validate(s, { n: 0, s: '' }).map(v => v.path), ['params.n', 'params.s'])
  t.same(validate(s, { n: 2 ** 53, s: 'a' }).map(v => v.message), ['outside the safe integer range'], 'unsafe integers refused')
  t.same(validate(s, { n: 1, s: 'a', e: 'q', a: [true, 1], z: null }).map(v => v.path), ['params.e', 'params.a[1]'])
  t.same(validate(s, { n: 1, s: 'a', a: [true, true, true] }).map(v => v.message), ['more than 2 items'])
  t.same(validate(s, []).map(v => v.message), ['expected object, got array'])
  t.same(validate(s, { n: 1, s: 'a', ['k'.repeat(1000)]: 1 })[0]?.path.length, 'params.'.length + 65, 'echoed keys are clipped')
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]))
  t.equal(validate(s, many).length, 16, 'violations are capped')
  t.same(toJsonSchema({ type: 'integer', nullable: true }), { type: ['integer', 'null'], minimum: -(2 ** 53 - 1), maximum: 2 ** 53 - 1 })
  t.same(toJsonSchema({ ref: 'X', nullable: true }), { oneOf: [{ $ref: '#/components/schemas/X' }, { type: 'null' }] })
})
