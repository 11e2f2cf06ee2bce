import type { Command } from 'commander';
import {
  type DiffResult,
  diffSnapshots,
  type ListedEntry,
  listSnapshot,
  resolveSnapshot,
} from '../../services/index.js';
import { fmtBytes, table } from '../output.js';
import { segment } from '../remote-mode.js';
import { action } from '../run.js';

export function registerBrowse(program: Command): void {
  program
    .command('ls <id> [path]')
    .description('list the files of a snapshot, or those at and below PATH')
    .action(
      action(async (ctx, id: string, path: string | undefined) => {
        const remote = ctx.remote();
        if (remote) {
          const listing = await remote.call<Listing>('GET', `/api/v1/snapshots/${segment(id)}/files`, {
            query: { path },
          });
          ctx.out.result(listing, () => renderListing(listing));
          return 0;
        }
        const session = await ctx.session();
        try {
          const snap = await resolveSnapshot(session.catalog, { id });
          const listing: Listing = { snapshot: snap.id, entries: await listSnapshot(session.repo, snap, path) };
          ctx.out.result(listing, () => renderListing(listing));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );

  program
    .command('diff <id1> <id2>')
    .description('what changed between two snapshots (by content, not timestamps)')
    .option('--patch', 'show a unified diff of each changed text file')
    .action(
      action(async (ctx, a: string, b: string, opts: { patch?: boolean }) => {
        const patch = opts.patch ?? false;
        const remote = ctx.remote();
        if (remote) {
          const result = await remote.call<DiffResult>('GET', '/api/v1/diff', {
            query: { from: a, to: b, patch: patch || undefined },
          });
          ctx.out.result(result, () => renderDiff(result, patch));
          return 0;
        }
        const session = await ctx.session();
        try {
          const from = await resolveSnapshot(session.catalog, { id: a });
          const to = await resolveSnapshot(session.catalog, { id: b });
          const result = await diffSnapshots(session.repo, from, to, { patch });
          ctx.out.result(result, () => renderDiff(result, patch));
          return 0;
        } finally {
          await session.close();
        }
      }),
    );
}

interface Listing {
  readonly snapshot: string;
  readonly entries: readonly ListedEntry[];
}

function renderListing({ entries }: Listing): string {
  return table(
    ['MODE', 'SIZE', 'MODIFIED', 'PATH'],
    entries.map((e) => [
      `${e.type === 'dir' ? 'd' : e.type === 'symlink' ? 'l' : '-'}${e.mode.toString(8).padStart(4, '0')}`,
      e.type === 'file' ? fmtBytes(e.size) : '',
      e.mtime.replace('T', ' ').slice(0, 19),
      e.type === 'dir' ? `${e.path}/` : e.type === 'symlink' ? `${e.path} -> ${e.target}` : e.path,
    ]),
  );
}

function renderDiff(result: DiffResult, patch: boolean): string {
  const mark = { added: '+', removed: '-', modified: 'M', mode: 'm', type: 'T' } as const;
  const lines = result.changes.map((c) => `${mark[c.kind]} ${c.path}${c.type === 'dir' ? '/' : ''}`);
  const s = result.summary;
  lines.push(
    `\n${s.added} added, ${s.removed} removed, ${s.modified} modified, ${s.mode} mode changes, ${s.type} type changes`,
  );
  if (patch) for (const c of result.changes) if (c.patch) lines.push(c.patch);
  return lines.join('\n');
}
