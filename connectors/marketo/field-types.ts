/**
 * Which Marketo lead fields can hold which token. Marketo's describe answers one `dataType` per
 * field; the full list (Adobe "Field Types" and "Custom Field Type Glossary" docs, the recorded
 * leads_describe.json, treasure-data/embulk-input-marketo's MarketoDataType) is below. A token is
 * written into an existing field only when that field keeps the value as segsync means it; any
 * other type is refused by name, with the types that would work.
 */
import type { TokenSpec } from '../../src/domain/segments.js';

/** Every `dataType` a Marketo lead describe answers. "text" and "textarea" are both Text Area fields (up to 30,000 bytes). */
export const MARKETO_DATA_TYPES = [
  'string',
  'text',
  'textarea',
  'email',
  'url',
  'phone',
  'integer',
  'score',
  'percent',
  'float',
  'currency',
  'boolean',
  'date',
  'datetime',
  'reference',
  'formula',
] as const;

/** The types a token may be created as over the API (Create Lead Fields: no text area, formula or reference). */
type CreatableType = 'string' | 'integer' | 'float' | 'date';

export interface TokenFieldType {
  /** What segsync creates a missing field as. */
  dataType: CreatableType;
  label: string;
  /** Existing field types that hold the token's values as they are. */
  accepts: readonly string[];
}

/** Text fields: a String holds 255 characters, a Text Area ("text"/"textarea") up to 30,000 bytes. */
const TEXT = ['string', 'text', 'textarea'] as const;

/**
 * The field type a token is written to, and the existing types that can hold it (field types doc:
 * integer, score and percent are whole numbers; float and currency hold real numbers; a date is
 * "YYYY-MM-DD"). A text field holds any value as written.
 */
export function fieldTypeFor(token: Pick<TokenSpec, 'type'>): TokenFieldType {
  switch (token.type) {
    case 'number':
      return { dataType: 'integer', label: 'Integer', accepts: ['integer', 'score', 'percent', 'float', 'currency', ...TEXT] };
    case 'decimal':
      return { dataType: 'float', label: 'Float', accepts: ['float', 'currency', ...TEXT] };
    case 'date':
      return { dataType: 'date', label: 'Date', accepts: ['date', ...TEXT] };
    case 'enumeration': // Marketo's API creates no picklists: the segment key goes into a text field.
    case 'string':
      return { dataType: 'string', label: 'String', accepts: [...TEXT] };
  }
}

/** Why a field of this type cannot hold the token: said to the admin next to the types that can. */
function reason(dataType: string, token: Pick<TokenSpec, 'type'>): string {
  switch (dataType) {
    case 'email':
    case 'url':
    case 'phone':
      return `a${dataType === 'email' ? 'n' : ''} ${dataType} field accepts only ${dataType === 'email' ? 'email addresses' : dataType === 'url' ? 'links' : 'phone numbers'}`;
    case 'formula':
      return 'a formula field is computed by Marketo and cannot be written';
    case 'reference':
      return 'a reference field holds the key of another record';
    case 'boolean':
      return 'a boolean field holds only true or false';
    case 'datetime':
      return token.type === 'date' ? 'a datetime field would add a time and a time zone the date does not have' : 'a datetime field holds only dates and times';
    case 'date':
      return 'a date field holds only dates';
    case 'integer':
    case 'score':
    case 'percent':
      return `a${dataType === 'integer' ? 'n' : ''} ${dataType} field holds only whole numbers`;
    case 'float':
    case 'currency':
      return `a ${dataType} field holds only numbers`;
    default:
      return (MARKETO_DATA_TYPES as readonly string[]).includes(dataType) ? `a ${dataType} field cannot hold it` : `segsync does not know Marketo's ${dataType} type`;
  }
}

/** "lead field X is a textarea ..." when the field cannot hold the token; undefined when it can. */
export function fieldRefusal(field: string, dataType: string, token: Pick<TokenSpec, 'key' | 'type'>): string | undefined {
  const wanted = fieldTypeFor(token);
  if (wanted.accepts.includes(dataType)) return undefined;
  return `lead field ${field} is of type ${dataType}, which cannot hold token ${token.key} (${reason(dataType, token)}); ` +
    `a field of type ${wanted.accepts.join(', ')} can`;
}
