/**
 * Token values of the propensity model. purchase_propensity_90d: 3 decimals (0.042), so that the
 * small probabilities of cold leads stay distinct and a rerun with the same model rewrites no one;
 * lead_score: the whole number 0-100. Empty for people who bought, and for everyone when the model
 * is off or skipped (so switching it off clears the platforms).
 */
export function formatPropensity(p: number): string {
  return Number.isFinite(p) ? p.toFixed(3) : '';
}

export function propensityTokens(propensity: number, leadScore: number): Record<'purchase_propensity_90d' | 'lead_score', string> {
  return { purchase_propensity_90d: formatPropensity(propensity), lead_score: Number.isFinite(leadScore) ? String(leadScore) : '' };
}

export function emptyPropensityTokens(): Record<'purchase_propensity_90d' | 'lead_score', string> {
  return { purchase_propensity_90d: '', lead_score: '' };
}
