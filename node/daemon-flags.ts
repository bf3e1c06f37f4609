/**
 * Node.js flags every launcher of a long-running Tern daemon passes (cli/bin.ts's shebang, `npm start` and
 * docs/tern-daemon.service say the same; test/daemon-flags checks that they agree):
 * a 1 MiB V8 semi-space. A chat daemon allocates little, and the default young generation (16 MiB semi-spaces)
 * is most of its idle memory: measured here, an unlocked daemon holding a relay reservation idles at 104 MB RSS by
 * default and 82 MB with this flag.
 * And --expose-gc, so that node/idle-gc.ts finds V8's gc() without changing V8 flags at run time (which Node
 * documents as unsupported); it still falls back to that when a launcher did not pass the flag.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1', '--expose-gc'])
