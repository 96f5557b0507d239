// Entry the extension spawns instead of the trainer CLI itself: `node trainerHost.js CLI ARGS...`.
// It makes the trainer follow its parent: if the extension host dies without deactivating (window killed, crash),
// the trainer gets SIGTERM (so it writes a clean checkpoint and exits) instead of training on as an orphan.
// Kept tiny; it must not install a SIGTERM handler of its own (that would disable the default).
import { processExists } from '../runfolder/liveness';

const parentPid = process.ppid;
const parentAlive = () => processExists(parentPid);

setInterval(() => {
  // On Unix an orphan is re-parented (ppid changes); on Windows ppid stays, so also probe the original pid.
  if (process.ppid !== parentPid || !parentAlive()) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();

// Once the extension host is gone, writes to the stdout pipe fail with EPIPE: drop them, keep the checkpoint going.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

const cli = process.argv[2];
if (!cli) {
  console.error('usage: trainerHost CLI [ARGS...]');
  process.exit(2);
}
process.argv.splice(1, 1); // the CLI sees argv as if it had been started directly: [node, cli, ...args]
require(cli);
