/**
 * Child for test/store-crash.test.ts: opens the encrypted store at argv[2] with the hex key argv[3], resumes after the
 * last message it finds, and writes batches forever (message + outbox entry + event, one atomic batch each), printing
 * `ack <seq> <cursor>` after each write resolved. The parent kills it with SIGKILL at a random point.
 */
import { openStore, messageKey, messagePrefix, outboxKey, parseMessageKey, prefixRange } from '../../node/store/index.js'
import { fromHex } from '../../protocol/crypto/index.js'

const [dir, keyHex] = process.argv.slice(2)
const st = await openStore(dir, fromHex(keyHex))
let seq = 0
for await (const { key } of st.iterate({ ...prefixRange(messagePrefix('c1')), reverse: true, limit: 1 })) seq = parseMessageKey(key).seq
process.stdout.write(`start ${seq}\n`)
for (;;) {
  seq++
  const { cursors } = await st.batch()
    .putJson(messageKey('c1', seq), { seq, text: `message ${seq} `.repeat(20) })
    .putJson(outboxKey(`m${seq}`), { seq })
    .del(outboxKey(`m${seq - 1}`))
    .appendEvent('message.stored', { seq })
    .write()
  process.stdout.write(`ack ${seq} ${cursors[0]}\n`) // synchronous on a pipe (Linux)
}
