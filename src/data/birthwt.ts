import { buildDesign, type TargetDesign } from './design.ts';
import { readCsv } from './csv.ts';
import { numericColumn, type Table } from './table.ts';
import { BIRTHWT_CSV } from './birthwt-table.ts';

/** grpreg's Birthwt design: X, the two responses and the 8 groups. */
export interface BirthwtDesign extends TargetDesign {
  /** Birth weight in kg (bwt / 1000), the regression response (also `y`). */
  bwt: Float64Array;
  /** 1 if the birth weight is below 2.5 kg, the binary response. */
  low: Float64Array;
}

export { BIRTHWT_CSV } from './birthwt-table.ts';

/**
 * grpreg's `Birthwt` design rebuilt from the raw MASS::birthwt table (189 births) with
 * {@link buildDesign}: 16 columns in 8 groups, named as in grpreg —
 * age1..age3 and lwt1..lwt3 (orthogonal cubic polynomials, R's `poly(x, 3)`), white, black (race
 * dummies, 'other' = reference), smoke, ptl1, ptl2m (previous premature labours 1, ≥ 2), ht, ui,
 * ftv1, ftv2, ftv3m (physician visits 1, 2, ≥ 3). Responses: bwt in kg (`y`) and low (0/1).
 * Columns are neither centred nor scaled (grpreg standardizes inside its fit). The table is embedded
 * (`BIRTHWT_CSV` is its CSV text), so no file is read.
 *
 * @example
 * const d = birthwtDesign();
 * // d.X is 189 × 16; d.groupNames is ['age', 'lwt', 'race', 'smoke', 'ptl', 'ht', 'ui', 'ftv']
 */
export function birthwtDesign(table: Table = readCsv(BIRTHWT_CSV)): BirthwtDesign {
  const fn = 'birthwtDesign';
  const low = numericColumn(table, 'low', fn).slice();
  const grams = numericColumn(table, 'bwt', fn);
  const withKg: Table = {
    names: [...table.names, 'bwt_kg'],
    columns: [...table.columns, grams.map((g) => g / 1000)],
    nRows: table.nRows,
    droppedLines: table.droppedLines,
  };
  const d = buildDesign(withKg, {
    target: 'bwt_kg',
    columns: [
      { type: 'poly', column: 'age', degree: 3 },
      { type: 'poly', column: 'lwt', degree: 3 },
      { type: 'categorical', column: 'race', reference: '3', names: ['white', 'black'] },
      { type: 'numeric', column: 'smoke' },
      { type: 'categorical', column: 'ptl', levels: { '2m': ['2', '3', '4', '5', '6', '7', '8', '9'] } },
      { type: 'numeric', column: 'ht' },
      { type: 'numeric', column: 'ui' },
      { type: 'categorical', column: 'ftv', levels: { '3m': ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] } },
    ],
  });
  return { ...d, bwt: d.y, low };
}
