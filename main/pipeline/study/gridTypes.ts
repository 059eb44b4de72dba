/** The study grid's plain data (Node-free: the API contract and the renderer read these types). */

export type GridValue = number | string | boolean;

export interface GridAxis {
  /** A training-config field, dotted for nested ones (augment.mixupAlpha), or `features.<field>`. */
  field: string;
  values: GridValue[];
}

/** One cell's overrides: field → value, in axis order. */
export type CellOverrides = Record<string, GridValue>;
