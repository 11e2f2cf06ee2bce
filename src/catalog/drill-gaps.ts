import type { ColumnType, Kysely, Selectable } from 'kysely';
import { batches } from './batches.js';
import type { DrillGapFound, GapCategory, GapRecord } from './monitoring-types.js';
import type { CatalogDatabase } from './schema.js';

export interface DrillGapsTable {
  id: ColumnType<number | string, number | undefined, number>; // auto-increment; bigint on pg
  item: string;
  category: string;
  key: string;
  message: string;
  first_drill: string;
  last_drill: string;
  opened_at: string;
  closed_at: string | null;
  closed_by_drill: string | null;
}

/** The two columns of the drills table (drill-records.ts) the gap record needs. */
type Tables = { drill_gaps: DrillGapsTable; drills: { id: string; plan: string } };
type Db = Kysely<CatalogDatabase & Tables>;

/**
 * The gaps drills found (C5.5): one open row per (item, category, key), kept open while later drills
 * of the item find it again (last_drill moves on, whichever plan found it) and closed by the first
 * drill of the item that does not find it and is of the same plan as its last_drill — only that plan
 * runs the checks that can find it again; a drill of another plan (other validators, other baselines)
 * leaves it open. A drill not in the drills table closes nothing. All of one drill's changes are one
 * transaction; the partial unique index on open gaps makes a concurrent drill of the same item refresh
 * the gap this one opened rather than open a second.
 */
export async function recordGaps(
  catalogDb: Kysely<CatalogDatabase>,
  drillId: string,
  items: readonly string[],
  found: readonly DrillGapFound[],
  at: string,
): Promise<{ opened: GapRecord[]; closed: GapRecord[] }> {
  const unique = new Map(found.map((g) => [gapKey(g), g]));
  const db: Db = catalogDb.withTables<Tables>();
  return db.transaction().execute(async (trx) => {
    const opened: GapRecord[] = [];
    for (const g of unique.values()) {
      const inserted = await trx
        .insertInto('drill_gaps')
        .values({
          item: g.item,
          category: g.category,
          key: g.key,
          message: g.message,
          first_drill: drillId,
          last_drill: drillId,
          opened_at: at,
          closed_at: null,
          closed_by_drill: null,
        })
        .onConflict((oc) => oc.columns(['item', 'category', 'key']).where('closed_at', 'is', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) {
        opened.push(fromRow(inserted));
        continue;
      }
      await trx
        .updateTable('drill_gaps')
        .set({ last_drill: drillId, message: g.message })
        .where('item', '=', g.item)
        .where('category', '=', g.category)
        .where('key', '=', g.key)
        .where('closed_at', 'is', null)
        .execute();
    }

    const closed: GapRecord[] = [];
    const drill = await trx.selectFrom('drills').select('plan').where('id', '=', drillId).executeTakeFirst();
    if (!drill) return { opened, closed };
    for (const batch of batches([...new Set(items)])) {
      const open = await trx
        .selectFrom('drill_gaps')
        .select(['id', 'item', 'category', 'key'])
        .where('item', 'in', batch)
        .where('closed_at', 'is', null)
        .where('last_drill', 'in', (eb) =>
          eb.selectFrom('drills').select('drills.id').where('drills.plan', '=', drill.plan),
        )
        .orderBy('id')
        .execute();
      for (const g of open) {
        if (unique.has(gapKey(g))) continue;
        const row = await trx
          .updateTable('drill_gaps')
          .set({ closed_at: at, closed_by_drill: drillId })
          .where('id', '=', g.id)
          .where('closed_at', 'is', null)
          .returningAll()
          .executeTakeFirst();
        if (row) closed.push(fromRow(row));
      }
    }
    return { opened, closed };
  });
}

/** open=true: still open; open=false: closed; by item, then when opened. */
export async function gapsOf(
  catalogDb: Kysely<CatalogDatabase>,
  f: { item?: string; open?: boolean },
): Promise<GapRecord[]> {
  let q = catalogDb.withTables<{ drill_gaps: DrillGapsTable }>().selectFrom('drill_gaps').selectAll();
  if (f.item !== undefined) q = q.where('item', '=', f.item);
  if (f.open === true) q = q.where('closed_at', 'is', null);
  if (f.open === false) q = q.where('closed_at', 'is not', null);
  const rows = await q.orderBy('item').orderBy('opened_at').orderBy('id').execute();
  return rows.map(fromRow);
}

function gapKey(g: { item: string; category: string; key: string }): string {
  return JSON.stringify([g.item, g.category, g.key]);
}

function fromRow(r: Selectable<DrillGapsTable>): GapRecord {
  return {
    id: Number(r.id),
    item: r.item,
    category: r.category as GapCategory,
    key: r.key,
    message: r.message,
    firstDrill: r.first_drill,
    lastDrill: r.last_drill,
    openedAt: r.opened_at,
    closedAt: r.closed_at,
    closedByDrill: r.closed_by_drill,
  };
}
