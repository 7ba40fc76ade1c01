/** Segments, memberships and tokens: what segmentation produces and destinations write. */

export type SegmentKind = 'rfm' | 'rule' | 'cluster' | 'persona' | 'predictive';

export interface SegmentDefinition {
  /** Stable slug, e.g. "champions". */
  key: string;
  /** What a marketer sees, e.g. "Champions". */
  name: string;
  kind: SegmentKind;
  description: string;
}

/**
 * How a token's value is written. Values are always strings, and "" means no value (clears the
 * field). 'number' is a whole number ("3"); 'decimal' a number in plain decimal notation with a
 * dot and no exponent ("310.25", "0.734", "1.2"); 'date' a real calendar date in UTC,
 * "YYYY-MM-DD". Destinations send these as they are (Marketo numbers as JSON numbers), and a push
 * compares them with the value it last sent, never with what a platform reads back.
 */
export type TokenType = 'enumeration' | 'string' | 'number' | 'decimal' | 'date';

/** A personalization value per profile, written to each platform under its own field name. */
export interface TokenSpec {
  /** Canonical key, e.g. "rfm_segment"; platforms map it in mappings/<platform>.yaml. */
  key: string;
  label: string;
  description: string;
  type: TokenType;
  /** For enumerations: the allowed values and their labels. */
  options?: Array<{ value: string; label: string }>;
}
