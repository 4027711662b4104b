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
  .option('--role <role>', 'api (HTTP API only), worker (workflow, dispatchers, monitors; /healthz and /metrics on the port) or all (default); api and worker need DATABASE_URL')
  .action(async (o) => (await import('./serve.js')).serveCommand(o));

program
  .command('ingest')
  .description('import event files into the store and run them through the workflow (one transaction per file)')
  .argument('<file...>', 'files to import')
  .addOption(new Option('--format <format>', 'file format (default: from the file name and contents)').choices(['ndjson', 'csv', 'poslog', 'frigate']))
  .option('--profile <name>', 'CSV mapping profile: vigil (default), uci-online-retail, generic-access-control, generic-pos, or one of sources.csvProfiles')
  .option('--site <id>', 'site for events whose file names no mapped site')
  .option('--config <file>', 'configuration file')
  .option('--url <base>', 'send the files to this running server (POST /api/v1/imports); default: the server holding the embedded store, if any')
  .option('--token <token>', 'bearer token for the server (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
  .action(async (files: string[], o) => {
    process.exitCode = await (await import('./ingest.js')).ingestCommand(files, o);
  });

program
  .command('publish')
  .description('publish event files to a NATS JetStream subject (each event once, deduplicated by its id) for a Vigil consuming it (sources.nats)')
  .argument('<file...>', 'files to publish')
  .requiredOption('--nats <url>', 'NATS server URL(s), comma-separated, e.g. nats://127.0.0.1:4222')
  .requiredOption('--subject <subject>', 'subject to publish on (the consumer\'s sources.nats.subject), e.g. vigil.events')
  .addOption(new Option('--format <format>', 'file format (default: from the file name and contents)').choices(['ndjson', 'csv', 'poslog', 'frigate']))
  .option('--profile <name>', 'CSV mapping profile: vigil (default) or uci-online-retail')
  .option('--site <id>', 'site for events whose file names no mapped site')
  .option('--config <file>', 'check sites and zones against this configuration (default VIGIL_CONFIG; none: the consumer checks them)')
  .action(async (files: string[], o) => {
    process.exitCode = await (await import('./publish.js')).publishCommand(files, o);
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

const user = program.command('user').description('manage dashboard users: add, list, disable');
throughServer(
  user
    .command('add')
    .description('make a dashboard user; without --password-stdin a strong password is generated and printed once')
    .argument('<name>', 'the user\'s sign-in name (unique, any case)')
    .requiredOption('--role <role>', 'admin, manager, security_lead, guard, investigator or auditor')
    .option('--sites <ids>', 'limit the user to these sites (comma-separated); default every site')
    .option('--password-stdin', 'read the password from stdin (at least 10 characters)'),
).action(async (name: string, o) => (await import('./user.js')).userAddCommand(name, o));
throughServer(user.command('list').description('list users: name, role, sites, state, last sign-in (never a password)')).action(async (o) => (await import('./user.js')).userListCommand(o));
throughServer(user.command('disable').description('disable a user: no more sign-ins, their sessions end').argument('<name>', 'the user\'s name')).action(async (name: string, o) =>
  (await import('./user.js')).userDisableCommand(name, o),
);

// `vigil report <kind>`: one subcommand per report.
const report = program.command('report').description('reports: one incident\'s report, the weekly loss report');
report
  .command('incident')
  .description('one incident\'s report (brought up to date first; each change is kept as a version)')
  .argument('<id>', 'the incident id')
  .addOption(new Option('--format <format>', 'json (default), html (printable) or pdf').choices(['json', 'html', 'pdf']))
  .option('--out <file>', 'write the report here and print a summary line (default: the report to stdout)')
  .option('--report-version <n>', 'a stored version instead of the current one')
  .option('--config <file>', 'configuration file (the site plans)')
  .option('--url <base>', 'go through this running server\'s API (default VIGIL_URL); needed while a server holds the embedded store')
  .option('--token <token>', 'API token for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
  .action(async (id: string, o) => (await import('./report-incident.js')).reportIncidentCommand(id, o));
report
  .command('weekly')
  .description('the weekly loss report of an ISO week (organisation time zone): JSON, HTML, PDF or CSV')
  .option('--week <YYYY-Www>', 'ISO week, like 2026-W47 (default the last full week)')
  .option('--site <id>', 'one site only (default every site)')
  .addOption(new Option('--format <format>', 'output format (default json)').choices(['json', 'html', 'pdf', 'csv']))
  .option('--out <file>', 'write the report here (default stdout)')
  .option('--config <file>', 'configuration file')
  .option('--url <base>', 'go through this running server\'s API (default VIGIL_URL); needed while a server holds the embedded store')
  .option('--token <token>', 'API token for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
  .action(async (o) => (await import('./report-weekly.js')).reportWeeklyCommand(o));

const archive = program
  .command('archive')
  .description('archive resolved incidents that are due (resolved longer ago than the policy delay); `archive export ID` writes a bundle')
  .option('--dry-run', 'list what would be archived; change nothing')
  .option('--min-age <duration>', 'archive incidents resolved at least this long ago instead of the policy delay (0: every resolved incident now)')
  .option('--config <file>', 'configuration file (its policy delay and signing key)')
  .action(async (o) => (await import('./archive.js')).archiveCommand(o));
archive
  .command('export')
  .description("write an archived incident's self-contained bundle: the record, its inclusion proof, the latest signed checkpoint and the public key")
  .argument('<id>', 'the archived incident')
  .option('--out <file>', 'write the bundle here (default stdout)')
  .option('--config <file>', 'configuration file (its signing key)')
  .option('--url <base>', "go through this running server's API (default VIGIL_URL)")
  .option('--token <token>', 'token with people:read for --url (default VIGIL_TOKEN, then VIGIL_ADMIN_TOKEN)')
  .action(async (id: string, o) => (await import('./archive.js')).archiveExportCommand(id, o));

program
  .command('verify')
  .description('check the audit log and the archive end to end against the transparency log; with --bundle, check an exported bundle offline (no store needed)')
  .option('--bundle <file>', 'a bundle written by `vigil archive export`')
  .option('--key-id <hex>', "with --bundle: the log's key id the checkpoint must be signed with")
  .option('--config <file>', 'configuration file (its signing key)')
  .action(async (o) => (await import('./verify.js')).verifyCommand(o));

program
  .command('bench')
  .description('run the benchmarks, print a table and write BENCHMARKS.md')
  .option('--quick', 'a short run (smaller data set) for a quick look')
  .option('--out <file>', 'where to write the table (default BENCHMARKS.md; with --only, only when given)')
  .option('--only <names>', 'run only these benchmarks, comma-separated: ingest, alert-latency, alert-statements, overload, weekly-report, serve-memory, stored-memory')
  .option('--postgres', 'only the scale-out benchmark on PostgreSQL: 1 and 2 worker processes, speed-up, duplicates, a worker killed (a full run includes it when VIGIL_TEST_DATABASE_URL or DATABASE_URL is set)')
  .option('--peers', 'only Vigil against Node-RED 4.1.15 (installed with npm into a temp folder) on the same load in the same run: 200 and 1,000 events/s side by side and each one\'s knee; writes its section into BENCHMARKS.md (or --out)')
  .option('--database-url <url>', 'the PostgreSQL server for --postgres (default VIGIL_TEST_DATABASE_URL, then DATABASE_URL); each phase makes and drops its own database')
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
