// `run` turns V8's optimizing compiler off (src/commands/optimizing-compiler.ts): taken by V8 at run
// time, and never over a setting node was started with.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTIMIZER_OFF, optimizingCompilerFlag } from '../../src/commands/optimizing-compiler.js';

t.test('the flag, unless node was started with an optimizer setting', async (t) => {
  t.equal(optimizingCompilerFlag([]), OPTIMIZER_OFF);
  t.equal(optimizingCompilerFlag(['--max-old-space-size=192', '--heap-growing-percent=20', '--optimize-for-size']), '--no-turbofan');
  for (const given of [
    ['--turbofan'],
    ['--no-turbofan'],
    ['--opt'],
    ['--no-opt'],
    ['--noopt'],
    ['--max-opt=2'],
    ['--max_opt=2'],
    ['--jitless'],
  ]) {
    t.equal(optimizingCompilerFlag(given), undefined, `${given.join(' ')} stands`);
  }
});

// The compiled module, in a plain node (the test runner's loaders stay out of the child).
const compiled = fileURLToPath(new URL('../../dist/src/commands/optimizing-compiler.js', import.meta.url));
const skip = existsSync(compiled) ? false : 'dist is missing: run npm run build';

t.test('V8 compiles nothing with TurboFan once it is set', { skip }, async (t) => {
  // A hot function: --trace-opt prints "<JSFunction hot …> (target TURBOFAN)" for each optimization of it that starts.
  const optimizations = (turnOff: boolean) => {
    const script = `${turnOff ? `(await import(${JSON.stringify(compiled)})).turnOffOptimizingCompiler([]);` : ''}
      const hot = (x) => { let s = 0; for (let i = 0; i < 1e5; i++) s += i * x; return s; };
      let total = 0; for (let i = 0; i < 300; i++) total += hot(i); console.log(total > 0);`;
    const run = spawnSync(process.execPath, ['--trace-opt', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    t.equal(run.status, 0, run.stderr);
    // Only the hot function's: node's own module loading may have run hot before the flag was set.
    return run.stdout.split('\n').filter((line) => /<JSFunction hot .*\(target TURBOFAN\)/.test(line)).length;
  };
  t.equal(optimizations(true), 0, 'set at run time, V8 takes it');
  t.ok(optimizations(false) > 0, 'V8 optimizes the same function otherwise');
});
