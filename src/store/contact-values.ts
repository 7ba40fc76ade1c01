import type { Db } from './db.js';
import type { EmailConsent } from '../domain/records.js';

/** The stored values the blanking guard protects, for one contact. */
export interface StoredContactValues {
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  emailConsent: EmailConsent;
  archived: boolean;
}

/** Reads what the store holds for contacts about to be written (prepared once per store). */
export class StoredContacts {
  private readonly select;
  private readonly first;

  constructor(db: Db) {
    this.select = db.prepare<[string, string], { email: string | null; first_name: string | null; last_name: string | null; email_consent: EmailConsent; archived: number }>(
      'SELECT email, first_name, last_name, email_consent, archived FROM contacts WHERE platform = ? AND external_id = ?',
    );
    this.first = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM contacts WHERE platform = ? LIMIT 1');
  }

  /** Whether the store holds any contact of the platform: with none, there is nothing for the guard to protect. */
  any(platform: string): boolean {
    return this.first.get(platform) !== undefined;
  }

  get(platform: string, externalId: string): StoredContactValues | undefined {
    const row = this.select.get(platform, externalId);
    return row && {
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      emailConsent: row.email_consent,
      archived: row.archived === 1,
    };
  }
}
