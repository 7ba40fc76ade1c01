/**
 * Validation of property values written through the API. HubSpot rejects the whole request with
 * 400 VALIDATION_ERROR and describes each bad value inside `message` as
 * `Property values were not valid: [{"isValid":false,"message":...,"error":...,"name":...}]`
 * (fixtures error_400_property_doesnt_exist.json, error_400_property_values_invalid_email.json).
 * PROPERTY_DOESNT_EXIST, INVALID_EMAIL and their messages are recorded; so is INVALID_DATE for a
 * date that is not midnight UTC, `"<epoch ms> is at 22:18:55.865 UTC, not midnight!"` (a real 400
 * quoted in HubSpot/hubspot-api-php#74; same wording in other reports). The other codes
 * (READ_ONLY_VALUE, INVALID_DECIMAL, INVALID_OPTION) and the wording for an unparseable date are
 * chosen here in the same style.
 *
 * Values (properties guide, "Property type and fieldType values"): a number is "numeric digits and
 * at most one decimal"; a date is an ISO 8601 string or epoch milliseconds at midnight UTC and
 * reads back as "YYYY-MM-DD"; a datetime is ISO 8601 or epoch milliseconds.
 */
import { parseStrictDate } from '../../../src/domain/dates.js';
import type { PropertyDef } from './properties.js';

export interface PropertyValueError {
  isValid: false;
  message: string;
  error: string;
  name: string;
}

export type ValueCheck = { ok: true; value: string } | { ok: false; error: PropertyValueError };

const EMAIL = /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i;
/** Digits with at most one decimal point, optionally signed ("310.25", "-3", "0.734"). */
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)$/;
const DAY_MS = 86_400_000;

/** Epoch ms of a written date/datetime value: epoch milliseconds or a real ISO 8601 date (no 30 February). */
function writtenMs(raw: string): number | undefined {
  const t = raw.trim();
  if (/^-?\d+$/.test(t)) return Number(t);
  const ms = parseStrictDate(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** "4:10:33.600" (hours unpadded), as in HubSpot's "… is at 4:10:33.600 UTC, not midnight!". */
function timeOfDay(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getUTCHours()}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

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
      if (!NUMBER.test(raw.trim()) || !Number.isFinite(Number(raw))) return bad(name, 'INVALID_DECIMAL', `${raw} was not a valid number.`);
      return { ok: true, value: raw.trim() };
    }
    case 'bool': {
      const v = raw.toLowerCase();
      if (v !== 'true' && v !== 'false') return bad(name, 'INVALID_OPTION', `${raw} was not one of the allowed options: [true, false]`);
      return { ok: true, value: v };
    }
    case 'date':
    case 'datetime': {
      const ms = writtenMs(raw);
      if (ms === undefined) return bad(name, 'INVALID_DATE', `${raw} was not a valid date.`);
      if (def.type === 'date') {
        if (((ms % DAY_MS) + DAY_MS) % DAY_MS !== 0) return bad(name, 'INVALID_DATE', `${ms} is at ${timeOfDay(ms)} UTC, not midnight!`);
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
