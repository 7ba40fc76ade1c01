// Regenerates docs/features.md from the feature catalogue: npm run docs:features
import { writeFileSync } from 'node:fs';
import { featuresMarkdown } from '../src/segmentation/features-doc.js';

writeFileSync(new URL('../docs/features.md', import.meta.url), featuresMarkdown());
