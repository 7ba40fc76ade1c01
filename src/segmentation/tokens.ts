import type { SegmentDefinition, TokenSpec } from '../domain/segments.js';

/**
 * The tokens, as marketers see them in HubSpot properties, Marketo fields, Shopify metafields.
 * `predictionHorizonMonths`: the CLV horizon while predictions are on; null while they are off. Their
 * tokens are written either way (empty while off, so switching them off clears the platforms),
 * but while off no spec declares them, so no field is created for them.
 */
export function tokenSpecs(segments: readonly SegmentDefinition[], predictionHorizonMonths: number | null, clusterings: readonly string[] = []): TokenSpec[] {
  // rule_segments is always written, so removing every rule segment clears it on the platforms.
  return [
    ...rfmTokenSpecs(segments),
    { key: 'rule_segments', label: 'segsync segments', description: 'segsync: the names of the rule segments this person is in, separated by "; ".', type: 'string' },
    { key: 'persona', label: 'segsync persona', description: 'segsync: the customer persona this person belongs to (a cluster of similar buyers), e.g. "Frequent small buyers". Empty for people who never bought.', type: 'string' },
    { key: 'persona_summary', label: 'segsync persona summary', description: 'segsync: the persona in numbers, rounded as a reader would, e.g. "buys every 3 weeks · 84 per order · last 12 days ago".', type: 'string' },
    ...clusterings.filter((name) => name !== 'customers').flatMap(clusteringTokenSpecs),
    ...(predictionHorizonMonths === null ? [] : predictionTokenSpecs(predictionHorizonMonths)),
    ...propensityTokenSpecs(),
    controlGroupTokenSpec(),
  ];
}

/**
 * Always declared and written (empty while control groups are off, so switching them off clears
 * it): the person's treatment or control group in each of their segments.
 */
export function controlGroupTokenSpec(): TokenSpec {
  return {
    key: 'control_group',
    label: 'segsync group',
    // Under 255 characters: Shopify's limit for a metafield definition's description.
    description: 'segsync: group per segment, e.g. "at_risk=control; champions=treatment"; control members are kept off that list (exclude them elsewhere with contains "at_risk=control"). Past 255 characters treatment pairs go first. Empty if unsubscribed or groups off.',
    type: 'string',
  };
}

/** Always declared (like rule_segments): written empty for buyers and while the model is off or skipped, so switching it off clears them. */
export function propensityTokenSpecs(): TokenSpec[] {
  return [
    { key: 'purchase_propensity_90d', label: 'segsync first purchase propensity 90 days', description: 'segsync: probability 0-1 (3 decimals) that this person, who has never bought, makes a first purchase in the next 90 days. Empty for customers and when the model could not be fitted.', type: 'decimal' },
    { key: 'lead_score', label: 'segsync lead score', description: 'segsync: 0-100, this person\'s rank by first-purchase propensity among everyone who never bought (90 = more likely than 90% of them). Empty for customers and when the model could not be fitted.', type: 'number' },
  ];
}

/**
 * A named clustering other than customers (issue 13): persona_<name> and persona_<name>_summary,
 * written empty for people outside it. A platform writes them only where its mapping names a field.
 */
export function clusteringTokenSpecs(name: string): TokenSpec[] {
  const words = name.replace(/_/g, ' ');
  const who = name === 'leads' ? 'lead persona (a cluster of similar people who have not bought yet, by engagement and company)' : `persona in the ${words} clustering`;
  return [
    { key: `persona_${name}`, label: `segsync ${words} persona`, description: `segsync: the ${who} this person belongs to. Empty for people outside that clustering.`, type: 'string' },
    { key: `persona_${name}_summary`, label: `segsync ${words} persona summary`, description: `segsync: the ${words} persona in numbers, rounded as a reader would.`, type: 'string' },
  ];
}

/** Empty for people who never bought, and for everyone when the history is too short to predict. */
export function predictionTokenSpecs(horizonMonths: number): TokenSpec[] {
  return [
    { key: 'clv', label: `segsync CLV ${horizonMonths} months`, description: `segsync: expected spend over the next ${horizonMonths} months (customer lifetime value, discounted; two significant digits in whole currency units, e.g. 1300).`, type: 'decimal' },
    { key: 'p_alive', label: 'segsync P(alive)', description: 'segsync: probability 0-1 that this customer is still active (has not silently stopped buying); churn risk = 1 − this. Empty for one-time buyers: the model cannot tell yet.', type: 'decimal' },
    { key: 'expected_purchases_90d', label: 'segsync expected purchases 90 days', description: 'segsync: purchases expected in the next 90 days (one decimal).', type: 'decimal' },
    { key: 'next_purchase_date', label: 'segsync next purchase date', description: `segsync: the week (its Monday) in which this customer is expected to buy next if still active (median); empty when not expected within ${horizonMonths} months.`, type: 'date' },
  ];
}

export function rfmTokenSpecs(segments: readonly SegmentDefinition[]): TokenSpec[] {
  return [
    {
      key: 'rfm_segment',
      label: 'RFM segment',
      description: 'segsync: the RFM segment this person is in (Champions, At Risk, ...).',
      type: 'enumeration',
      options: segments.filter((s) => s.kind === 'rfm').map((s) => ({ value: s.key, label: s.name })),
    },
    { key: 'rfm_score', label: 'RFM score', description: 'segsync: recency, frequency and monetary scores 1-5 side by side, e.g. 545. Empty for prospects and lost customers.', type: 'string' },
    { key: 'rfm_r', label: 'RFM recency score', description: 'segsync: recency score 1-5 (5 = bought most recently).', type: 'number' },
    { key: 'rfm_f', label: 'RFM frequency score', description: 'segsync: frequency score 1-5 (5 = buys most often).', type: 'number' },
    { key: 'rfm_m', label: 'RFM monetary score', description: 'segsync: monetary score 1-5 (5 = spends the most).', type: 'number' },
  ];
}
