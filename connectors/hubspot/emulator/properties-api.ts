/** Properties v3: property definitions and groups of contacts and deals. */
import {
  FIELD_TYPES,
  PROPERTY_TYPES,
  VALID_FIELD_TYPES,
  groupJson,
  propertyJson,
  type FieldType,
  type ObjectKind,
  type OptionDef,
  type PropertyDef,
  type PropertyType,
} from './properties.js';
import type { CrmState } from './state.js';
import { TYPE_ID, fail, parseJsonObject, validation, type Ctx, type Reply } from './http-support.js';

export class PropertiesApi {
  constructor(private readonly state: CrmState) {}

  getProperties(ctx: Ctx, kind: ObjectKind): Reply {
    const store = this.state.store(kind);
    if (ctx.query.get('archived') === 'true') return { status: 200, body: { results: [] } };
    return { status: 200, body: { results: [...store.properties.values()].map(propertyJson) } };
  }

  getProperty(kind: ObjectKind, name: string): Reply {
    const def = this.state.store(kind).properties.get(name);
    // CHOSEN message; the 404 status is documented.
    if (!def) return fail(404, `Property ${name} does not exist for object type ${TYPE_ID[kind]}`, 'OBJECT_NOT_FOUND');
    return { status: 200, body: propertyJson(def) };
  }

  private parseOptions(raw: unknown): OptionDef[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) validation('Invalid input JSON: options must be an array.');
    const seen = new Set<string>();
    return raw.map((o, i) => {
      const opt = (o ?? {}) as Record<string, unknown>;
      const missing = ['label', 'value'].filter((k) => typeof opt[k] !== 'string');
      if (missing.length > 0) validation(`Invalid input JSON: Cannot build OptionInput, some of required attributes are not set [${missing.join(', ')}]`);
      const value = opt.value as string;
      if (seen.has(value)) validation(`Duplicate option value '${value}'.`);
      seen.add(value);
      return {
        label: opt.label as string,
        value,
        ...(typeof opt.description === 'string' ? { description: opt.description } : {}),
        displayOrder: typeof opt.displayOrder === 'number' ? opt.displayOrder : i,
        hidden: opt.hidden === true,
      };
    });
  }

  private checkTypes(type: unknown, fieldType: unknown): { type: PropertyType; fieldType: FieldType } {
    if (!PROPERTY_TYPES.includes(type as PropertyType)) validation(`Invalid property type '${String(type)}'. Valid types: ${PROPERTY_TYPES.join(', ')}.`);
    if (!FIELD_TYPES.includes(fieldType as FieldType)) validation(`Invalid fieldType '${String(fieldType)}'. Valid field types: ${FIELD_TYPES.join(', ')}.`);
    const t = type as PropertyType;
    const f = fieldType as FieldType;
    if (!VALID_FIELD_TYPES[t].includes(f)) validation(`fieldType ${f} is not valid for property type ${t}. Valid field types for ${t}: ${VALID_FIELD_TYPES[t].join(', ')}.`);
    return { type: t, fieldType: f };
  }

  createProperty(ctx: Ctx, kind: ObjectKind): Reply {
    const store = this.state.store(kind);
    const b = parseJsonObject(ctx);
    const missing = ['name', 'label', 'type', 'fieldType', 'groupName'].filter((k) => typeof b[k] !== 'string' || b[k] === '');
    // HubSpot's wording for a missing required field.
    if (missing.length > 0) validation(`Invalid input JSON: Cannot build PropertyCreate, some of required attributes are not set [${missing.join(', ')}]`);
    const name = b.name as string;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      validation(`Property name '${name}' is invalid: use lower-case letters, digits and underscores, starting with a letter.`);
    }
    if (store.properties.has(name)) {
      // CHOSEN wording; 409 is what platforms.md records (⚠).
      return fail(409, `Property named '${name}' already exists.`, 'OBJECT_ALREADY_EXISTS');
    }
    if (name.startsWith('hs_')) validation(`Property name '${name}' is invalid: the hs_ prefix is reserved for HubSpot defined properties.`);
    const { type, fieldType } = this.checkTypes(b.type, b.fieldType);
    const groupName = b.groupName as string;
    if (!store.groups.has(groupName)) validation(`Property group ${groupName} does not exist for object type ${TYPE_ID[kind]}.`);
    let options = this.parseOptions(b.options);
    if (type === 'bool' && options.length === 0) {
      options = [
        { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
        { label: 'No', value: 'false', displayOrder: 1, hidden: false },
      ];
    }
    const at = this.state.now();
    const def: PropertyDef = {
      name,
      label: b.label as string,
      type,
      fieldType,
      description: typeof b.description === 'string' ? b.description : '',
      groupName,
      options,
      displayOrder: typeof b.displayOrder === 'number' ? b.displayOrder : -1,
      calculated: false,
      externalOptions: b.externalOptions === true,
      hasUniqueValue: b.hasUniqueValue === true,
      hidden: b.hidden === true,
      formField: b.formField === true,
      hubspotDefined: false,
      readOnlyValue: false,
      readOnlyDefinition: false,
      archivable: true,
      createdMs: at,
      updatedMs: at,
    };
    store.properties.set(name, def);
    return { status: 201, body: propertyJson(def) };
  }

  patchProperty(ctx: Ctx, kind: ObjectKind, name: string): Reply {
    const store = this.state.store(kind);
    const def = store.properties.get(name);
    if (!def) return fail(404, `Property ${name} does not exist for object type ${TYPE_ID[kind]}`, 'OBJECT_NOT_FOUND');
    const b = parseJsonObject(ctx);
    if ((b.type !== undefined || b.fieldType !== undefined) && def.hubspotDefined) {
      validation(`The type of HubSpot defined property ${name} cannot be changed.`);
    }
    const types = b.type !== undefined || b.fieldType !== undefined ? this.checkTypes(b.type ?? def.type, b.fieldType ?? def.fieldType) : undefined;
    if (b.groupName !== undefined && (typeof b.groupName !== 'string' || !store.groups.has(b.groupName))) {
      validation(`Property group ${String(b.groupName)} does not exist for object type ${TYPE_ID[kind]}.`);
    }
    const options = b.options !== undefined ? this.parseOptions(b.options) : undefined;
    if (types) {
      def.type = types.type;
      def.fieldType = types.fieldType;
    }
    if (typeof b.label === 'string') def.label = b.label;
    if (typeof b.description === 'string') def.description = b.description;
    if (typeof b.groupName === 'string') def.groupName = b.groupName;
    if (typeof b.displayOrder === 'number') def.displayOrder = b.displayOrder;
    if (typeof b.hidden === 'boolean') def.hidden = b.hidden;
    if (typeof b.formField === 'boolean') def.formField = b.formField;
    if (options) def.options = options; // PATCH replaces the whole option set, as HubSpot's does.
    def.updatedMs = this.state.now();
    this.state.version++;
    return { status: 200, body: propertyJson(def) };
  }

  getGroups(kind: ObjectKind): Reply {
    return { status: 200, body: { results: [...this.state.store(kind).groups.values()].map(groupJson) } };
  }

  getGroup(kind: ObjectKind, name: string): Reply {
    const g = this.state.store(kind).groups.get(name);
    if (!g) return fail(404, `Property group ${name} does not exist for object type ${TYPE_ID[kind]}`, 'OBJECT_NOT_FOUND');
    return { status: 200, body: groupJson(g) };
  }

  createGroup(ctx: Ctx, kind: ObjectKind): Reply {
    const store = this.state.store(kind);
    const b = parseJsonObject(ctx);
    const missing = ['name', 'label'].filter((k) => typeof b[k] !== 'string' || b[k] === '');
    if (missing.length > 0) validation(`Invalid input JSON: Cannot build PropertyGroupCreate, some of required attributes are not set [${missing.join(', ')}]`);
    const name = b.name as string;
    if (!/^[a-z][a-z0-9_]*$/.test(name)) validation(`Property group name '${name}' is invalid: use lower-case letters, digits and underscores.`);
    if (store.groups.has(name)) return fail(409, `Property group named '${name}' already exists.`, 'OBJECT_ALREADY_EXISTS');
    const g = { name, label: b.label as string, displayOrder: typeof b.displayOrder === 'number' ? b.displayOrder : -1, archived: false };
    store.groups.set(name, g);
    return { status: 201, body: groupJson(g) };
  }
}
