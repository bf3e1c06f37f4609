/**
 * Structured JSON logs on stdout (pino). Logs carry ids (PeerIds, connection ids, counts), never message content
 * or keys. The first stdout line is the listening line written by `writeListeningLine`, before any pino line.
 */
import { writeSync } from 'node:fs'
import { pino, type Logger } from 'pino'
import type { RelayConfig } from './config.js'

export type { Logger }

/** A logger writing one JSON object per line, synchronously, to the given file descriptor (stdout by default). */
export function createRelayLogger (level: RelayConfig['logLevel'] = 'info', fd = 1): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) }
  }, pino.destination({ dest: fd, sync: true }))
}

/** Writes exactly `{"msg":"listening","addrs":[...]}` and a newline: the line supervisors and tests wait for. */
export function writeListeningLine (addrs: string[], fd = 1): void {
  writeSync(fd, JSON.stringify({ msg: 'listening', addrs }) + '\n')
}
