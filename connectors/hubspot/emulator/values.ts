/**
 * Validation of property values written through the API. HubSpot rejects the whole request with
 * 400 VALIDATION_ERROR and describes each bad value inside `message` as
 * `Property values were not valid: [{"isValid":false,"message":...,"error":...,"name":...}]`
 * (fixtures error_400_property_doesnt_exist.json, error_400_property_values_invalid_email.json).
 * PROPERTY_DOESNT_EXIST, INVALID_EMAIL and their messages are recorded; the other codes
 * (READ_ONLY_VALUE, INVALID_DECIMAL, INVALID_OPTION, INVALID_DATE) and their wording are chosen
 * here in the same style.
 */
import type { PropertyDef } from './properties.js';
import { toMs } from './search.js';

export interface PropertyValueError {
  isValid: false;
  message: string;
  error: string;
  name: string;
}

export type ValueCheck = { ok: true; value: string } | { ok: false; error: PropertyValueError };

const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;

function bad(name: string, error: string, message: string): ValueCheck {
  return { ok: false, error: { isValid: false, message, error, name } };
}

export function unknownProperty(name: string): PropertyValueError {
  return { isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name };
}

/** Checks and normalises one value; `""` always clears. */
export function checkValue(def: PropertyDef, input: unknown): ValueCheck {
  const name = def.name;
  if (def.readOnlyValue) return bad(name, 'READ_ONLY_VALUE', `"${name}" is a read only property; its value cannot be set.`);
  if (input === null || input === undefined) return { ok: true, value: '' };
  const raw = typeof input === 'string' ? input : typeof input === 'number' || typeof input === 'boolean' ? String(input) : undefined;
  if (raw === undefined) return bad(name, 'INVALID_VALUE', `${JSON.stringify(input)} is not a valid value for property ${name}.`);
  if (raw === '') return { ok: true, value: '' };
  switch (def.type) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) return bad(name, 'INVALID_DECIMAL', `${raw} was not a valid number.`);
      return { ok: true, value: raw.trim() };
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'true' && v !== 'false') return bad(name, 'INVALID_OPTION', `${raw} was not one of the allowed options: [true, false]`);
      return { ok: true, value: v };
    }
    case 'date':
    case 'datetime': {
      const ms = toMs(raw);
      if (ms === undefined) return bad(name, 'INVALID_DATE', `${raw} was not a valid date.`);
      if (def.type === 'date') {
        if (ms % 86_400_000 !== 0) return bad(name, 'INVALID_DATE', `${raw} is not midnight UTC; date properties take a date at 00:00:00.000 UTC.`);
        return { ok: true, value: new Date(ms).toISOString().slice(0, 10) };
      }
      return { ok: true, value: new Date(ms).toISOString() };
    }
    case 'enumeration': {
      const allowed = def.options.map((o) => o.value);
      const values = def.fieldType === 'checkbox' ? raw.split(';').filter((v) => v !== '') : [raw];
      const wrong = values.find((v) => !allowed.includes(v));
      if (wrong !== undefined || values.length === 0) {
        return bad(name, 'INVALID_OPTION', `${wrong ?? raw} was not one of the allowed options: [${allowed.join(', ')}]`);
      }
      return { ok: true, value: values.join(';') };
    }
    default:
      if (name === 'email' && !EMAIL.test(raw)) return bad(name, 'INVALID_EMAIL', `Email address ${raw} is invalid`);
      return { ok: true, value: name === 'email' ? raw.toLowerCase() : raw };
  }
}

export function invalidValuesMessage(errors: PropertyValueError[]): string {
  return `Property values were not valid: ${JSON.stringify(errors)}`;
}
