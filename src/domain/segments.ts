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

export type TokenType = 'enumeration' | 'string' | 'number';

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
