/**
 * Custom lead fields an admin created in Marketo's Field Management, before segsync came: any
 * type describe can answer (field-types.ts lists them), including those the REST API cannot
 * create (text areas, scores, percents, formulas, references). Formula and reference fields are
 * read-only over the API, as in the recorded describe.
 */
import { MARKETO_DATA_TYPES } from '../field-types.js';
import type { MarketoState } from './state.js';

export interface AdminField {
  /** REST API name. */
  name: string;
  dataType: (typeof MARKETO_DATA_TYPES)[number];
  displayName?: string;
  length?: number;
}

const READ_ONLY_TYPES = new Set(['formula', 'reference']);

export function defineAdminFields(state: MarketoState, fields: readonly AdminField[]): void {
  for (const f of fields) {
    if (state.fields.has(f.name)) throw new Error(`lead field ${f.name} exists already`);
    state.fields.set(f.name, {
      id: state.nextFieldId++,
      name: f.name,
      displayName: f.displayName ?? f.name,
      dataType: f.dataType,
      ...(f.length !== undefined ? { length: f.length } : f.dataType === 'string' ? { length: 255 } : {}),
      readOnly: READ_ONLY_TYPES.has(f.dataType),
      custom: true,
    });
  }
}
