#!/usr/bin/env -S node --max-semi-space-size=1 --expose-gc
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

const homeOpt = '--home <dir>'
const homeHelp = 'the node\'s home directory (default: $TERN_HOME, else $XDG_DATA_HOME/tern, else ~/.local/share/tern)'
const load = async (): Promise<typeof import('./commands/node.js')> => await import('./commands/node.js')

program.command('init')
  .description('create an identity and an encrypted home (passphrase: $TERN_PASSPHRASE, --passphrase-file, or a prompt)')
  .requiredOption('--name <name>', 'your display name')
  .option('--relay <multiaddr...>', 'relay address(es), each ending in /p2p/<relay PeerId>')
  .option('--passphrase-file <file>', 'read the passphrase from the first line of this file')
  .option(homeOpt, homeHelp)
  .option('--json', 'machine-readable output')
  .action(async (opts) => { await (await load()).runInit(opts) })

program.command('daemon')
  .description('run the node in the foreground until SIGTERM/SIGINT (locked until a passphrase is given)')
  .option('--listen <multiaddr...>', 'direct listen address(es); default /ip4/0.0.0.0/tcp/0')
  .option('--bootstrap <multiaddr...>', 'relay address(es) to add to the configured ones')
  .option('--relay-only', 'reach contacts only through relay circuits; listen on no direct address')
  .option('--passphrase-file <file>', 'unlock with the first line of this file (else $TERN_PASSPHRASE, else start locked)')
  .option('--rpc-tcp <host:port>', 'also serve the API over TCP (token in <home>/rpc.token; see docs/remote.md)')
  .option('--rpc-tcp-insecure', 'allow a non-loopback --rpc-tcp host (use a VPN; the traffic is not encrypted)')
  .option(homeOpt, homeHelp)
  .action(async (opts) => { await (await load()).runDaemonCommand(opts) })

program.command('status').description('the daemon\'s state').option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (opts) => { await (await load()).runStatus(opts) })
program.command('invite').description('create a one-time invite').option('--expires <seconds>', 'lifetime in seconds')
  .option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (opts) => { await (await load()).runInvite(opts) })
program.command('add <invite>').description('accept an invite').option('--name <name>', 'local name for the contact')
  .option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (invite: string, opts) => { await (await load()).runAdd(invite, opts) })
program.command('contacts').description('list contacts').option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (opts) => { await (await load()).runContacts(opts) })
program.command('send <contact> <text>').description('send a text (contact: id, name or PeerId)')
  .option('--idempotency-key <key>', 'retrying with the same key never sends twice')
  .option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (contact: string, text: string, opts) => { await (await load()).runSend(contact, text, opts) })
program.command('messages <contact>').description('show a conversation').option('--limit <n>', 'how many (default 50)')
  .option(homeOpt, homeHelp).option('--json', 'JSON output')
  .action(async (contact: string, opts) => { await (await load()).runMessages(contact, opts) })
program.command('rpc <method> [params]').description('call any JSON-RPC method (params: a JSON object)')
  .option(homeOpt, homeHelp).option('--json', 'compact JSON output')
  .action(async (method: string, params: string | undefined, opts) => { await (await load()).runRpc(method, params, opts) })

// `tern` alone opens the terminal UI (cli/commands/tui.ts). Its options come before any subcommand, so that
// `tern daemon --home X` keeps its own --home.
program
  .enablePositionalOptions()
  .option(homeOpt, homeHelp)
  .option('--connect <host:port>', 'use a remote daemon\'s TCP API instead (see docs/remote.md)')
  .option('--token-file <file>', 'with --connect: the file holding the daemon\'s token (its <home>/rpc.token)')
  .option('--keep-daemon', 'leave a daemon that tern started running after the UI exits')
  .action(async (opts) => {
    const { runTuiCommand } = await import('./commands/tui.js')
    await runTuiCommand(opts)
  })

await program.parseAsync(process.argv)
