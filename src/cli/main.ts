/**
 * The `vigil` command line. Every command has --help; exit 0 on success, 1 on failure with a
 * one-line reason on stderr, 2 on bad usage.
 */
import { Command, CommanderError, Option } from 'commander';
import { reportError, UsageError } from './common.js';

const program = new Command();
program
  .name('vigil')
  .description('Vigil: loss-prevention and security incident response.\nWithout --config (or VIGIL_CONFIG) commands use the bundled demo chain.')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('serve')
  .description('run the service: API, workflow runner, dashboard (what `npm start` runs)')
  .option('--config <file>', 'configuration file (YAML or JSON); default: the demo chain with its simulator')
  .option('--port <n>', 'port to listen on (default PORT or 8080)')
  .option('--host <addr>', 'address to listen on (default HOST or 127.0.0.1)')
  .option('--demo', 'run the simulator even with --config')
  .option('--seed <n>', 'simulator seed')
  .action(async (o) => (await import('./serve.js')).serveCommand(o));

program
  .command('ingest')
  .description('import event files into the store and run them through the workflow (one transaction per file)')
  .argument('<file...>', 'files to import')
  .addOption(new Option('--format <format>', 'file format (default: from the file name and contents)').choices(['ndjson', 'csv', 'poslog', 'frigate']))
  .option('--profile <name>', 'CSV mapping profile: vigil (default) or uci-online-retail')
  .option('--site <id>', 'site for events whose file names no mapped site')
  .option('--config <file>', 'configuration file')
  .action(async (files: string[], o) => {
    process.exitCode = await (await import('./ingest.js')).ingestCommand(files, o);
  });

program
  .command('simulate')
  .description('write a deterministic synthetic event stream (NDJSON) for a chain')
  .option('--sites <n>', 'invent a chain of N sites instead of using the configuration', parseIntArg('--sites'))
  .option('--days <d>', 'days to simulate (default 1)', parseIntArg('--days'))
  .option('--seed <s>', 'random seed (default 42)', parseIntArg('--seed'))
  .option('--start <iso>', 'first instant (default 2026-11-16T00:00:00Z)')
  .option('--out <file>', 'write the NDJSON here (default stdout)')
  .option('--config-out <file>', 'with --sites: write the invented chain configuration here')
  .option('--config <file>', 'configuration file (default the demo chain)')
  .option('--url <base>', 'feed a running service (POST /api/v1/events) instead of writing NDJSON')
  .option('--token <token>', 'bearer token for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
  .action(async (o) => (await import('./simulate.js')).simulateCommand(o));

const token = program.command('token').description('manage API tokens: create (printed once), list, revoke');
const throughServer = (c: Command) =>
  c
    .option('--url <base>', 'go through this running server\'s API (default VIGIL_URL); needed while a server holds the embedded store')
    .option('--token <token>', 'admin token for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
    .option('--config <file>', 'configuration file (site ids are checked against it)');
throughServer(
  token
    .command('create')
    .description('make a token; prints it once, on the last line of stdout (only its hash is stored)')
    .argument('<name>', 'a name for the token (unique among live tokens)')
    .requiredOption('--role <role>', 'what the token may do: admin, manager, security_lead, guard, investigator, auditor, or ingest (machines posting events)')
    .option('--sites <ids>', 'limit the token to these sites (comma-separated); default every site')
    .option('--expires <duration>', 'lifetime, like 30d, 12h, 2w or 1y; default never'),
).action(async (name: string, o) => (await import('./token.js')).tokenCreateCommand(name, o));
throughServer(token.command('list').description('list tokens: name, role, sites, state, expiry (never the token)')).action(async (o) => (await import('./token.js')).tokenListCommand(o));
throughServer(token.command('revoke').description('revoke the live token of this name').argument('<name>', 'the token\'s name')).action(async (name: string, o) =>
  (await import('./token.js')).tokenRevokeCommand(name, o),
);

program
  .command('bench')
  .description('run the benchmarks, print a table and write BENCHMARKS.md')
  .option('--quick', 'a short run (smaller data set) for a quick look')
  .option('--out <file>', 'where to write the table (default BENCHMARKS.md; with --only, only when given)')
  .option('--only <names>', 'run only these benchmarks, comma-separated: ingest, alert-latency, overload')
  .action(async (o) => (await import('./bench.js')).benchCommand(o));

function parseIntArg(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} expects a whole number, got "${v}"`);
    return n;
  };
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e);
  }
}
