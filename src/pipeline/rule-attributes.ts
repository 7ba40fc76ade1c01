import type { Rule, RuleSegment } from '../segmentation/rules.js';
import { nearestName } from '../config/nearest-name.js';

/** Every `attributes.<name>` a rule reads, in order, once each. */
export function ruleAttributes(rule: Rule): string[] {
  const out = new Set<string>();
  const walk = (r: Rule): void => {
    switch (r.op) {
      case 'all':
      case 'any':
        r.rules.forEach(walk);
        return;
      case 'not':
        walk(r.rule);
        return;
      case 'spentWithinDays':
        return;
      default:
        if (r.field.startsWith('attributes.')) out.add(r.field.slice('attributes.'.length));
    }
  };
  walk(rule);
  return [...out];
}

/**
 * A warning per rule segment reading an attribute no stored contact holds a value of: a misspelt
 * name (`tagz` for `tags`) reads as empty for everyone and gives a silently empty (or full)
 * segment. A warning, not an error: an attribute may be mapped and still empty everywhere, or
 * filled by the next pull. The nearest stored attribute name is suggested.
 */
export function unknownAttributeWarnings(segments: readonly RuleSegment[], stored: ReadonlySet<string>): string[] {
  const warnings: string[] = [];
  for (const segment of segments) {
    for (const name of ruleAttributes(segment.rule)) {
      if (stored.has(name)) continue;
      const suggestion = nearestName(name, stored);
      warnings.push(
        `segment "${segment.name}" (${segment.key}): its rule reads attributes.${name}, which no stored contact has a value of, so it reads as empty for everyone` +
          (suggestion ? `; did you mean attributes.${suggestion}?` : stored.size > 0 ? ` (stored attributes: ${[...stored].sort().join(', ')})` : ' (no contact has any attribute yet)') +
          '. Attributes are mapped in contacts.attributes of the mappings (or sources.<platform>.attributes) and stored by the next pull.',
      );
    }
  }
  return warnings;
}
