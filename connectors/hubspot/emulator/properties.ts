/**
 * Property definitions and groups (Properties API v3), with the built-in contact and deal
 * properties a fresh HubSpot portal has (a realistic subset). Field names follow the SDK models
 * `Property`, `Option`, `PropertyGroup` (node_modules/@hubspot/api-client/lib/codegen/crm/properties).
 */

export type ObjectKind = 'contacts' | 'deals';

export const PROPERTY_TYPES = ['bool', 'date', 'datetime', 'enumeration', 'number', 'phone_number', 'string'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

export const FIELD_TYPES = [
  'booleancheckbox',
  'calculation_equation',
  'checkbox',
  'date',
  'file',
  'html',
  'number',
  'phonenumber',
  'radio',
  'select',
  'text',
  'textarea',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Which field types HubSpot accepts for each property type (docs: properties guide). */
export const VALID_FIELD_TYPES: Record<PropertyType, readonly FieldType[]> = {
  bool: ['booleancheckbox'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['booleancheckbox', 'checkbox', 'radio', 'select', 'calculation_equation'],
  number: ['number', 'calculation_equation'],
  phone_number: ['phonenumber'],
  string: ['text', 'textarea', 'html', 'phonenumber', 'file'],
};

export interface OptionDef {
  label: string;
  value: string;
  description?: string;
  displayOrder: number;
  hidden: boolean;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: FieldType;
  description: string;
  groupName: string;
  options: OptionDef[];
  displayOrder: number;
  calculated: boolean;
  externalOptions: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  hubspotDefined: boolean;
  readOnlyValue: boolean;
  readOnlyDefinition: boolean;
  archivable: boolean;
  createdMs: number;
  updatedMs: number;
}

export interface GroupDef {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

/** Built-in definitions carry a fixed creation date, like a portal created long ago. */
const BUILTIN_MS = Date.parse('2019-08-06T02:41:08.029Z');

type BuiltinSpec = Pick<PropertyDef, 'name' | 'label' | 'type' | 'fieldType' | 'groupName'> &
  Partial<Pick<PropertyDef, 'description' | 'readOnlyValue' | 'hasUniqueValue' | 'calculated' | 'formField'>> & {
    options?: Array<[value: string, label: string]>;
  };

function builtin(spec: BuiltinSpec, displayOrder: number): PropertyDef {
  return {
    name: spec.name,
    label: spec.label,
    type: spec.type,
    fieldType: spec.fieldType,
    description: spec.description ?? '',
    groupName: spec.groupName,
    options: (spec.options ?? []).map(([value, label], i) => ({ label, value, displayOrder: i, hidden: false })),
    displayOrder,
    calculated: spec.calculated ?? false,
    externalOptions: false,
    hasUniqueValue: spec.hasUniqueValue ?? false,
    hidden: false,
    formField: spec.formField ?? false,
    hubspotDefined: true,
    readOnlyValue: spec.readOnlyValue ?? false,
    readOnlyDefinition: true,
    archivable: false,
    createdMs: BUILTIN_MS,
    updatedMs: BUILTIN_MS,
  };
}

const BOOL_OPTIONS: Array<[string, string]> = [
  ['true', 'Yes'],
  ['false', 'No'],
];

const LIFECYCLE_STAGES: Array<[string, string]> = [
  ['subscriber', 'Subscriber'],
  ['lead', 'Lead'],
  ['marketingqualifiedlead', 'Marketing Qualified Lead'],
  ['salesqualifiedlead', 'Sales Qualified Lead'],
  ['opportunity', 'Opportunity'],
  ['customer', 'Customer'],
  ['evangelist', 'Evangelist'],
  ['other', 'Other'],
];

export const DEAL_STAGES: Array<[string, string]> = [
  ['appointmentscheduled', 'Appointment Scheduled'],
  ['qualifiedtobuy', 'Qualified To Buy'],
  ['presentationscheduled', 'Presentation Scheduled'],
  ['decisionmakerboughtin', 'Decision Maker Bought-In'],
  ['contractsent', 'Contract Sent'],
  ['closedwon', 'Closed Won'],
  ['closedlost', 'Closed Lost'],
];

const CURRENCIES = [
  'USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'JPY', 'CNY', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF',
  'INR', 'SGD', 'HKD', 'KRW', 'BRL', 'MXN', 'ARS', 'CLP', 'COP', 'ZAR', 'AED', 'ILS', 'TRY', 'RON', 'BGN',
].map((c): [string, string] => [c, c]);

const CONTACT_GROUPS: GroupDef[] = [
  { name: 'contactinformation', label: 'Contact information', displayOrder: 0, archived: false },
  { name: 'emailinformation', label: 'Email information', displayOrder: 1, archived: false },
  { name: 'conversioninformation', label: 'Conversion information', displayOrder: 2, archived: false },
  { name: 'analyticsinformation', label: 'Web analytics history', displayOrder: 3, archived: false },
  { name: 'sales_properties', label: 'Sales properties', displayOrder: 4, archived: false },
];

const DEAL_GROUPS: GroupDef[] = [
  { name: 'dealinformation', label: 'Deal information', displayOrder: 0, archived: false },
  { name: 'deal_activity', label: 'Deal activity', displayOrder: 1, archived: false },
];

const CONTACT_PROPERTIES: BuiltinSpec[] = [
  { name: 'email', label: 'Email', type: 'string', fieldType: 'text', groupName: 'contactinformation', hasUniqueValue: false, formField: true, description: "A contact's email address" },
  { name: 'firstname', label: 'First Name', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true, description: "A contact's first name" },
  { name: 'lastname', label: 'Last Name', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true, description: "A contact's last name" },
  { name: 'phone', label: 'Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation', formField: true, description: "A contact's primary phone number" },
  // Empty for everyone in the synthetic population: a mapping that points email at it must trip
  // segsync's blanking guard, not blank the store.
  { name: 'work_email', label: 'Work email', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true, description: "A contact's work email address" },
  { name: 'mobilephone', label: 'Mobile Phone Number', type: 'string', fieldType: 'phonenumber', groupName: 'contactinformation', formField: true },
  { name: 'address', label: 'Street Address', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'city', label: 'City', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true, description: "A contact's city of residence" },
  { name: 'state', label: 'State/Region', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'zip', label: 'Postal Code', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'country', label: 'Country/Region', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true, description: "The contact's country/region of residence." },
  { name: 'company', label: 'Company Name', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'jobtitle', label: 'Job Title', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'website', label: 'Website URL', type: 'string', fieldType: 'text', groupName: 'contactinformation', formField: true },
  { name: 'lifecyclestage', label: 'Lifecycle Stage', type: 'enumeration', fieldType: 'radio', groupName: 'contactinformation', options: LIFECYCLE_STAGES, description: 'The qualification of contacts to sales readiness.' },
  { name: 'hs_lead_status', label: 'Lead Status', type: 'enumeration', fieldType: 'select', groupName: 'sales_properties', options: [['NEW', 'New'], ['OPEN', 'Open'], ['IN_PROGRESS', 'In Progress'], ['OPEN_DEAL', 'Open Deal'], ['UNQUALIFIED', 'Unqualified'], ['ATTEMPTED_TO_CONTACT', 'Attempted to Contact'], ['CONNECTED', 'Connected'], ['BAD_TIMING', 'Bad Timing']] },
  { name: 'hs_email_optout', label: 'Unsubscribed from all email', type: 'enumeration', fieldType: 'booleancheckbox', groupName: 'emailinformation', options: BOOL_OPTIONS, readOnlyValue: true, description: 'Indicates that the current email address has opted out of all email.' },
  { name: 'hs_email_open', label: 'Marketing emails opened', type: 'number', fieldType: 'number', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The number of marketing emails which have been opened by this contact.' },
  { name: 'hs_email_click', label: 'Marketing emails clicked', type: 'number', fieldType: 'number', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The number of marketing emails which have been clicked by this contact.' },
  { name: 'hs_email_last_open_date', label: 'Last marketing email open date', type: 'datetime', fieldType: 'date', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The last time a contact opened a marketing email.' },
  { name: 'hs_email_delivered', label: 'Marketing emails delivered', type: 'number', fieldType: 'number', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The number of marketing emails delivered to this contact.' },
  { name: 'hs_email_bounce', label: 'Marketing emails bounced', type: 'number', fieldType: 'number', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The number of marketing emails that bounced for this contact.' },
  { name: 'hs_email_last_click_date', label: 'Last marketing email click date', type: 'datetime', fieldType: 'date', groupName: 'emailinformation', readOnlyValue: true, calculated: true, description: 'The last time a contact clicked a link in a marketing email.' },
  { name: 'hs_sales_email_last_replied', label: 'Recent Sales Email Replied Date', type: 'datetime', fieldType: 'date', groupName: 'sales_properties', readOnlyValue: true, description: 'The last time a contact replied to a sales email.' },
  { name: 'hs_analytics_num_visits', label: 'Number of Sessions', type: 'number', fieldType: 'number', groupName: 'analyticsinformation', readOnlyValue: true, calculated: true, description: 'Number of times a contact has come to your website.' },
  { name: 'hs_analytics_num_page_views', label: 'Number of Pageviews', type: 'number', fieldType: 'number', groupName: 'analyticsinformation', readOnlyValue: true, calculated: true, description: 'Total number of page views this contact has had on your website.' },
  { name: 'hs_analytics_last_visit_timestamp', label: 'Time of Last Session', type: 'datetime', fieldType: 'date', groupName: 'analyticsinformation', readOnlyValue: true, calculated: true, description: 'Time of the last session attributed to this contact.' },
  { name: 'num_conversion_events', label: 'Number of Form Submissions', type: 'number', fieldType: 'number', groupName: 'conversioninformation', readOnlyValue: true, calculated: true, description: 'The number of forms this contact has submitted.' },
  { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName: 'contactinformation', readOnlyValue: true, description: 'The date that a contact entered the system' },
  { name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName: 'contactinformation', readOnlyValue: true, description: 'Most recent timestamp of any property update for a contact.' },
  { name: 'hs_lastmodifieddate', label: 'Object last modified date/time', type: 'datetime', fieldType: 'date', groupName: 'contactinformation', readOnlyValue: true, description: 'Most recent timestamp of any property update for this object.' },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName: 'contactinformation', readOnlyValue: true, hasUniqueValue: true, description: 'The unique ID for this record. This value is set automatically by HubSpot.' },
  { name: 'hs_merged_object_ids', label: 'Merged Contact IDs', type: 'enumeration', fieldType: 'checkbox', groupName: 'contactinformation', readOnlyValue: true, description: 'The list of Contact record IDs that have been merged into this Contact.' },
  { name: 'hs_additional_emails', label: 'Additional email addresses', type: 'enumeration', fieldType: 'checkbox', groupName: 'contactinformation', readOnlyValue: true, description: 'A set of additional email addresses for a contact' },
  { name: 'hs_email_domain', label: 'Email Domain', type: 'string', fieldType: 'text', groupName: 'contactinformation', readOnlyValue: true, calculated: false, description: "A contact's email address domain" },
  { name: 'num_associated_deals', label: 'Number of Associated Deals', type: 'number', fieldType: 'number', groupName: 'sales_properties', readOnlyValue: true, calculated: true },
];

const DEAL_PROPERTIES: BuiltinSpec[] = [
  { name: 'dealname', label: 'Deal Name', type: 'string', fieldType: 'text', groupName: 'dealinformation', description: 'The name given to this deal.' },
  { name: 'amount', label: 'Amount', type: 'number', fieldType: 'number', groupName: 'dealinformation', description: 'The total amount of the deal' },
  { name: 'dealstage', label: 'Deal Stage', type: 'enumeration', fieldType: 'radio', groupName: 'dealinformation', options: DEAL_STAGES, description: 'The stage of the deal.' },
  { name: 'pipeline', label: 'Pipeline', type: 'enumeration', fieldType: 'select', groupName: 'dealinformation', options: [['default', 'Sales Pipeline']], description: 'The pipeline the deal is in.' },
  { name: 'closedate', label: 'Close Date', type: 'datetime', fieldType: 'date', groupName: 'dealinformation', description: 'Date the deal was closed.' },
  { name: 'deal_currency_code', label: 'Currency', type: 'enumeration', fieldType: 'select', groupName: 'dealinformation', options: CURRENCIES, description: 'Currency code for the deal.' },
  { name: 'dealtype', label: 'Deal Type', type: 'enumeration', fieldType: 'radio', groupName: 'dealinformation', options: [['newbusiness', 'New Business'], ['existingbusiness', 'Existing Business']] },
  { name: 'description', label: 'Deal Description', type: 'string', fieldType: 'textarea', groupName: 'dealinformation' },
  { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName: 'dealinformation', readOnlyValue: true, description: 'The date the deal was created.' },
  { name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName: 'dealinformation', readOnlyValue: true, description: 'Most recent timestamp of any property update for this deal.' },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName: 'dealinformation', readOnlyValue: true, hasUniqueValue: true, description: 'The unique ID for this record. This value is set automatically by HubSpot.' },
  { name: 'num_associated_contacts', label: 'Number of Associated Contacts', type: 'number', fieldType: 'number', groupName: 'deal_activity', readOnlyValue: true, calculated: true },
];

/** HubSpot `industry` options the emulator declares (a subset of HubSpot's list; the population uses these). */
const INDUSTRIES: Array<[string, string]> = [
  ['ACCOUNTING', 'Accounting'], ['COMPUTER_SOFTWARE', 'Computer Software'], ['CONSTRUCTION', 'Construction'],
  ['CONSUMER_GOODS', 'Consumer Goods'], ['EDUCATION_MANAGEMENT', 'Education Management'], ['FINANCIAL_SERVICES', 'Financial Services'],
  ['FOOD_BEVERAGES', 'Food & Beverages'], ['HOSPITAL_HEALTH_CARE', 'Hospital & Health Care'],
  ['INFORMATION_TECHNOLOGY_AND_SERVICES', 'Information Technology and Services'], ['MARKETING_AND_ADVERTISING', 'Marketing and Advertising'],
  ['RETAIL', 'Retail'],
];

const COMPANY_PROPERTIES: BuiltinSpec[] = [
  { name: 'name', label: 'Company name', type: 'string', fieldType: 'text', groupName: 'companyinformation', description: 'The name of the company or organization.' },
  { name: 'domain', label: 'Company Domain Name', type: 'string', fieldType: 'text', groupName: 'companyinformation', description: 'The domain name of the company or organization.' },
  { name: 'industry', label: 'Industry', type: 'enumeration', fieldType: 'select', groupName: 'companyinformation', options: INDUSTRIES, description: 'The type of business the company performs.' },
  { name: 'numberofemployees', label: 'Number of Employees', type: 'number', fieldType: 'number', groupName: 'companyinformation', description: 'The total number of employees who work for the company or organization.' },
  { name: 'annualrevenue', label: 'Annual Revenue', type: 'number', fieldType: 'number', groupName: 'companyinformation', description: 'The actual or estimated annual revenue of the company.' },
  { name: 'createdate', label: 'Create Date', type: 'datetime', fieldType: 'date', groupName: 'companyinformation', readOnlyValue: true, description: 'The date the company or organization was added to the database.' },
  { name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime', fieldType: 'date', groupName: 'companyinformation', readOnlyValue: true, description: 'Most recent timestamp of any property update for this company.' },
  { name: 'hs_object_id', label: 'Record ID', type: 'number', fieldType: 'number', groupName: 'companyinformation', readOnlyValue: true, hasUniqueValue: true, description: 'The unique ID for this record. This value is set automatically by HubSpot.' },
];

/** Company definitions (read-only here: segsync reads companies, it never writes them). */
export function builtinCompanyProperties(): PropertyDef[] {
  return COMPANY_PROPERTIES.map((spec, i) => builtin(spec, i));
}

export function builtinGroups(kind: ObjectKind): GroupDef[] {
  return (kind === 'contacts' ? CONTACT_GROUPS : DEAL_GROUPS).map((g) => ({ ...g }));
}

export function builtinProperties(kind: ObjectKind): PropertyDef[] {
  return (kind === 'contacts' ? CONTACT_PROPERTIES : DEAL_PROPERTIES).map((spec, i) => builtin(spec, i));
}

/** Properties whose values the emulator computes from the record itself and never stores. */
export const DERIVED: Record<ObjectKind, ReadonlySet<string>> = {
  contacts: new Set(['hs_object_id', 'createdate', 'lastmodifieddate', 'hs_lastmodifieddate', 'hs_email_domain', 'num_associated_deals']),
  deals: new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate', 'num_associated_contacts']),
};

/** Default properties on list/get responses without `properties` (as in contacts_page.json / deals_page.json). */
export const DEFAULT_PROPERTIES: Record<ObjectKind, readonly string[]> = {
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
};

/** Always returned, even when `properties` names others (HubSpot's behaviour on list/search/batch read). */
export const ALWAYS_RETURNED: Record<ObjectKind, readonly string[]> = {
  contacts: ['createdate', 'hs_object_id', 'lastmodifieddate'],
  deals: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

export const MODIFIED_PROPERTY: Record<ObjectKind, string> = {
  contacts: 'lastmodifieddate',
  deals: 'hs_lastmodifieddate',
};

export function propertyJson(def: PropertyDef): Record<string, unknown> {
  // Key order follows property_create_201.json.
  return {
    updatedAt: new Date(def.updatedMs).toISOString(),
    createdAt: new Date(def.createdMs).toISOString(),
    name: def.name,
    label: def.label,
    type: def.type,
    fieldType: def.fieldType,
    description: def.description,
    groupName: def.groupName,
    options: def.options.map((o) => ({
      label: o.label,
      value: o.value,
      ...(o.description !== undefined ? { description: o.description } : {}),
      displayOrder: o.displayOrder,
      hidden: o.hidden,
    })),
    displayOrder: def.displayOrder,
    calculated: def.calculated,
    externalOptions: def.externalOptions,
    archived: false,
    hasUniqueValue: def.hasUniqueValue,
    hidden: def.hidden,
    ...(def.hubspotDefined ? { hubspotDefined: true } : {}),
    modificationMetadata: {
      archivable: def.archivable,
      readOnlyDefinition: def.readOnlyDefinition,
      readOnlyValue: def.readOnlyValue,
    },
    formField: def.formField,
  };
}

export function groupJson(g: GroupDef): Record<string, unknown> {
  return { name: g.name, label: g.label, displayOrder: g.displayOrder, archived: g.archived };
}
