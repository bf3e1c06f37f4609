#!/usr/bin/env node
/**
 * The `tern` command. Subcommands live in their own modules and are loaded on demand so that
 * `tern --version` stays instant.
 */
import '../node/polyfill.js'
import { Command } from 'commander'
import { VERSION } from './version.js'

const program = new Command()
program
  .name('tern')
  .description('Tern: a peer-to-peer, end-to-end encrypted messenger.\nRun `tern relay --help` for the relay daemon.')
  .version(VERSION, '-V, --version')
  .showHelpAfterError()

program
  .command('relay')
  .description('run the always-on relay daemon (DHT server, circuit relay, offline mailbox)')
  .allowUnknownOption(false)
  .option('--data <dir>', 'data directory (identity key, mailbox database)')
  .option('--listen <multiaddr...>', 'listen address(es); default /ip4/0.0.0.0/tcp/4001')
  .option('--announce <multiaddr...>', 'public address(es) to announce')
  .option('--config <file>', 'JSON config file (see docs/deploy-relay.md)')
  .option('--metrics <host:port>', 'serve Prometheus metrics on http://HOST:PORT/metrics')
  .option('--print-address', 'print the full listen addresses and exit')
  .action(async (opts) => {
    const { runRelayCommand } = await import('../bootstrap/cli.js')
    await runRelayCommand(opts)
  })

program.action(() => {
  process.stdout.write(`tern ${VERSION}\n\n`)
  program.outputHelp()
})

await program.parseAsync(process.argv)
