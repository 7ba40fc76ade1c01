import { describe, expect, it } from 'vitest';
import { fieldRefusal, fieldTypeFor, MARKETO_DATA_TYPES } from '../../connectors/marketo/field-types.js';
import type { TokenSpec } from '../../src/domain/segments.js';

const token = (type: TokenSpec['type'], key = `a_${type}`) => ({ key, type });
const accepted = (type: TokenSpec['type']) => MARKETO_DATA_TYPES.filter((d) => fieldRefusal('f', d, token(type)) === undefined);

describe('which Marketo lead field types hold which token', () => {
  it('text tokens go into String and both Text Area forms describe answers ("text", "textarea"), nothing else', () => {
    expect(accepted('string')).toEqual(['string', 'text', 'textarea']);
    expect(accepted('enumeration')).toEqual(['string', 'text', 'textarea']);
  });

  it('whole numbers go into the whole-number and number types, and text', () => {
    expect(accepted('number')).toEqual(['string', 'text', 'textarea', 'integer', 'score', 'percent', 'float', 'currency']);
  });

  it('decimals go into float and currency (not whole-number types), and text', () => {
    expect(accepted('decimal')).toEqual(['string', 'text', 'textarea', 'float', 'currency']);
  });

  it('dates go into date fields and text, not datetime', () => {
    expect(accepted('date')).toEqual(['string', 'text', 'textarea', 'date']);
  });

  it('refuses the rest by the field name, its type, why, and the types that would work', () => {
    expect(fieldRefusal('segsyncPersona', 'email', token('string', 'persona'))).toBe(
      'lead field segsyncPersona is of type email, which cannot hold token persona (an email field accepts only email addresses); a field of type string, text, textarea can',
    );
    expect(fieldRefusal('segsyncNext', 'datetime', token('date', 'next_purchase_date'))).toBe(
      'lead field segsyncNext is of type datetime, which cannot hold token next_purchase_date (a datetime field would add a time and a time zone the date does not have); a field of type date, string, text, textarea can',
    );
    expect(fieldRefusal('segsyncClv', 'integer', token('decimal', 'clv'))).toContain('(an integer field holds only whole numbers)');
    for (const type of ['url', 'phone', 'reference', 'formula', 'boolean']) expect(fieldRefusal('x', type, token('string'))).toMatch(new RegExp(`^lead field x is of type ${type}, which cannot hold token a_string \\(.+\\); a field of type string, text, textarea can$`));
    expect(fieldRefusal('x', 'lead_function', token('string'))).toContain("segsync does not know Marketo's lead_function type");
  });

  it('creates missing fields as the types the Create Lead Fields API allows', () => {
    expect(['string', 'number', 'decimal', 'date', 'enumeration'].map((t) => fieldTypeFor({ type: t as TokenSpec['type'] }).dataType)).toEqual(['string', 'integer', 'float', 'date', 'string']);
  });
});
