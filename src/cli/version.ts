import { readFileSync } from 'node:fs';

/** The package version, from the package.json above dist/cairn.js (bundle) or src/cli/ (sources). */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'cairn' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return '0.0.0';
})();
