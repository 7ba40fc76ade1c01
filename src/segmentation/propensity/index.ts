export { predictPropensity, propensityCutoffs, PROPENSITY_INPUTS, contributions, type PropensityOutcome, type PropensityModel } from './propensity.js';
export { PropensitySettingsSchema, type PropensitySettings } from './settings.js';
export { propensityTokens, emptyPropensityTokens, formatPropensity } from './tokens.js';
