import { FEATURE_CATALOGUE, type FeatureKind } from './features.js';

const KIND_TITLES: Record<FeatureKind, string> = { number: 'Numbers', date: 'Dates', category: 'Categories' };

/** docs/features.md, generated from FEATURE_CATALOGUE so the two can never disagree (a test compares them). */
export function featuresMarkdown(): string {
  const out = [
    '# Features',
    '',
    '<!-- Generated from src/segmentation/features.ts by `npm run docs:features`; edit the catalogue there. -->',
    '',
    'Every profile gets these features in each segmentation run. Rule segments can use any of them',
    '(and `attributes.<name>` for mapped platform fields); clustering uses the ones listed under',
    '`segmentation.clustering.features` (default: `daysSinceLastPurchase`, `lifetimeFrequency`,',
    '`averageOrderValue`), over the profiles of `segmentation.clustering.population` (default: the',
    'buyers, or everyone when no profile has a purchase). `segsync explain <email>` shows one',
    'person\'s values; `segsync segment --export <dir>` writes everyone\'s to `features.csv`.',
    '',
    'Days are whole days before the reference date; money is in the base currency; purchases after',
    'the reference date are ignored. A missing value never matches a rule comparison.',
  ];
  for (const kind of ['number', 'date', 'category'] as const) {
    out.push('', `## ${KIND_TITLES[kind]}`, '', '| feature | unit | meaning |', '| --- | --- | --- |');
    for (const f of FEATURE_CATALOGUE.filter((x) => x.kind === kind)) out.push(`| \`${f.key}\` | ${f.unit} | ${f.description.replace(/\|/g, '\\|')} |`);
  }
  out.push('', '## Mapped attributes', '', 'Every field named in a mapping file\'s `contacts.attributes` or in the workspace config\'s',
    '`sources.<platform>.attributes` becomes `attributes.<name>`: the first value seen across platforms',
    '(platforms in name order). Rules compare them as text, or as numbers with `gt`/`gte`/`lt`/`lte`/`between`',
    '(a value that is not a number never matches). Engagement fields a platform keeps (for example',
    'HubSpot\'s `hs_email_open` and `hs_email_click`, Marketo\'s lead score) are used the same way: map them',
    'as attributes. Numeric attributes can also be clustering features: a contacts-only store (no purchases)',
    'clusters everyone on them.', '');
  out.push('## Interests', '', 'Where purchases carry line items (Shopify orders), each of the store\'s top 8 product types by',
    'won line-item spend becomes a number feature `interests.<slug>`: the person\'s share (0-1) of their own',
    'line-item spend, in the base currency, on that type. The slug is the product type in lower camel case',
    '("Coffee Beans" → `interests.coffeeBeans`). Missing for a person without line items; 0 for a buyer who',
    'bought none of that type. Usable in rules (`{ op: gte, field: interests.coffee, value: 0.5 }`), as',
    'clustering features and in `segsync explain`; a product type outside the top 8 has no feature.', '');
  return out.join('\n');
}
