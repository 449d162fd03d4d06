// The runtime-agent command line: one binary, one module per command under src/commands/. Every
// command answers --help (or `runtime-agent help COMMAND`) with its own usage, without running.
interface CommandModule {
  run(args: string[]): Promise<number>;
  /** The command's usage and what it does; a function when it is built from other modules' data. */
  usage: string | (() => string);
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  run: { summary: 'run the agent (APP_* environment, KUBECONFIG or in-cluster)', load: () => import('./commands/run.js') },
  demo: { summary: 'simulators + agent in one process: demo [--apps N] [--once]', load: () => import('./commands/demo.js') },
  sim: { summary: 'both simulators on loopback: sim --dir DIR [--apps N]', load: () => import('./commands/sim.js') },
  visualize: {
    summary: 'the state machine as a diagram: visualize [--format mermaid|dot|svg|html] [--log FILE]',
    load: () => import('./commands/visualize.js'),
  },
  replay: { summary: 'replay a recorded event log and report any divergence: replay FILE', load: () => import('./commands/replay.js') },
  revoke: {
    summary: 'revoke the current client certificate at the certificate-secured Connector',
    load: () => import('./commands/revoke.js'),
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: runtime-agent COMMAND [options]\n\ncommands:\n${lines.join('\n')}\n\nruntime-agent COMMAND --help tells more about one.\n`;
}

const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';

async function commandUsage(name: string): Promise<string> {
  const module = await COMMANDS[name].load();
  const text = typeof module.usage === 'function' ? module.usage() : module.usage;
  return text.endsWith('\n') ? text : `${text}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || isHelp(name) || name === 'help') {
    const about = name === 'help' ? rest[0] : undefined;
    if (about && COMMANDS[about]) {
      process.stdout.write(await commandUsage(about));
      return;
    }
    if (about) {
      process.stderr.write(`runtime-agent: unknown command "${about}"\n\n${usage()}`);
      process.exitCode = 2;
      return;
    }
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
  if (rest.some(isHelp)) {
    process.stdout.write(await commandUsage(name));
    return;
  }
  const module = await command.load();
  const code = await module.run(rest);
  if (code !== 0) process.exitCode = code;
}
