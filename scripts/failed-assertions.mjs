// Prints every failed assertion of a tap run's output (the file named as the argument) with the
// subtests it sits in and its YAML diagnostics, so that a CI log kept only in part still shows them.
// A failed subtest's own "not ok" line is left out when its failed assertions are printed instead; a
// subtest (or file) that failed without a failed assertion inside (a crash, an exit code) is printed.
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n');
const indentOf = (line) => line.length - line.trimStart().length;

/** The open subtests: [indent, name, failures printed before it opened], outermost first. */
const open = [];
let printed = 0;
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
  if (subtest) {
    const indent = subtest[1].length;
    while (open.length && open.at(-1)[0] >= indent) open.pop();
    open.push([indent, subtest[2], printed]);
    continue;
  }
  const point = /^(\s*)(not )?ok \d+ - (.*)$/.exec(line);
  if (!point) continue;
  const indent = point[1].length;
  // A subtest's own line (its summary) sits at the indent of its "# Subtest:" line.
  if (open.length && open.at(-1)[0] === indent) {
    const [, , before] = open.pop();
    if (!point[2] || printed > before) continue;
  } else if (!point[2]) continue;
  while (open.length && open.at(-1)[0] >= indent) open.pop();
  console.log(`not ok: ${[...open.map(([, name]) => name), point[3]].join(' > ')}`);
  printed++;
  if (lines[i + 1]?.trim() === '---') {
    for (i = i + 1; i < lines.length && !(lines[i].trim() === '...' && indentOf(lines[i]) <= indent + 2); i++) {
      console.log(`  ${lines[i].trim() === '---' ? '' : lines[i].slice(indent + 2)}`);
    }
  }
}
if (printed === 0) console.log('(no failed assertion in the tap output: see the errors above)');
