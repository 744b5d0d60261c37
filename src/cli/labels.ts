/**
 * `labelgate labels` — list the labels of a policy (embedded default unless --policy).
 */
import { createLabeler } from '../labeler.js';
import { parse } from './args.js';
import { EXIT, UsageError, writeJson, type CliIo } from './io.js';
import type { CliCommand } from './commands.js';

const usage = `Usage: labelgate labels [--policy FILE] [--json]

List the sensitivity labels of the policy (the embedded default policy unless --policy is given),
most sensitive last.

Options:
  --policy FILE   label policy file (JSON or YAML)
  --json          print Graph-shaped sensitivityLabel JSON instead of a table`;

export const labelsCommand: CliCommand = {
  name: 'labels',
  summary: 'list the labels of a policy',
  usage,
  async run(argv: string[], io: CliIo) {
    const { values, positionals } = parse(argv, { policy: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`labels takes no arguments (got "${positionals[0]}")`);
    const labeler = createLabeler({ policy: values.policy });
    const labels = await labeler.listLabels();
    const settings = await labeler.policySettings();
    if (values.json) {
      writeJson(io, { value: labels, labelPolicySettings: settings });
      return EXIT.ok;
    }
    const sorted = [...labels].sort((a, b) => a.sensitivity - b.sensitivity);
    const rows = sorted.map((l) => [
      String(l.sensitivity),
      l.parent ? `${l.parent.name} \\ ${l.name}` : l.name,
      l.id,
      [l.isActive ? '' : 'inactive', l.isAppliable ? '' : 'not appliable', l.hasProtection ? 'protection' : '', l.id === settings.defaultLabelId ? 'default' : '']
        .filter(Boolean)
        .join(', '),
    ]);
    const header = ['SENSITIVITY', 'NAME', 'ID', 'NOTES'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    io.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
    io.stdout.write(`tenant (siteId): ${settings.id}\n`);
    return EXIT.ok;
  },
};
