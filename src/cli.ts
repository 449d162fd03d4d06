// The runtime-agent command line: one binary, one module per command under src/commands/.
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(args: string[]): Promise<number> }> }> = {
  run: { summary: 'run the agent (APP_* environment, KUBECONFIG or in-cluster)', load: () => import('./commands/run.js') },
  demo: { summary: 'simulators + agent in one process: demo [--apps N] [--once]', load: () => import('./commands/demo.js') },
  sim: { summary: 'both simulators on loopback: sim --dir DIR [--apps N]', load: () => import('./commands/sim.js') },
  visualize: {
    summary: 'the state machine as a diagram: visualize [--format mermaid|dot|svg|html] [--log FILE]',
    load: () => import('./commands/visualize.js'),
  },
  replay: { summary: 'replay a recorded event log and report any divergence: replay FILE', load: () => import('./commands/replay.js') },
  revoke: { summary: 'revoke the current client certificate at the certificate-secured Connector', load: () => import('./commands/revoke.js') },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: runtime-agent COMMAND [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    process.exitCode = name ? 0 : 2;
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`runtime-agent: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const module = await command.load();
  const code = await module.run(rest);
  if (code !== 0) process.exitCode = code;
}
