/** Child for test/home-lock.test.ts: takes the home lock, prints "locked <pid>", then waits to be killed. */
import { acquireHomeLock } from '../../node/home/lock.js'

const home = process.argv[2]
try {
  await acquireHomeLock(home)
  process.stdout.write(`locked ${process.pid}\n`)
  setInterval(() => {}, 1000)
} catch (e) {
  process.stdout.write(`error ${(e as { code?: string }).code ?? String(e)}\n`)
  process.exit(2)
}
