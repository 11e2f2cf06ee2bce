import type { Source } from '../policy/index.js';
import { redactUrl } from './content.js';

const MAX_RUN = 60;

/** How a source is named in messages, free of credentials: "command `kubectl get …`", "http GET https://…". */
export function sourceLabel(source: Source): string {
  switch (source.kind) {
    case 'files':
      return `files ${source.root}`;
    case 'git':
      return `git ${source.url ? redactUrl(source.url) : source.path}@${source.ref}${source.subdir ? `:${source.subdir}` : ''}`;
    case 'dotenv':
      return `dotenv ${source.path}`;
    case 'command': {
      const run = source.run.replace(/\s+/g, ' ').trim();
      return `command \`${run.length > MAX_RUN ? `${run.slice(0, MAX_RUN)}…` : run}\``;
    }
    case 'http':
      return `http GET ${redactUrl(source.url)}`;
    case 'postgres':
      return `postgres ${source.url ? redactUrl(source.url) : `$${source.urlEnv}`}`;
    default:
      return source.kind;
  }
}
