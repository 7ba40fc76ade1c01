import { isAbsolute, relative } from 'node:path';
import { loadMapping, type Mapping } from './mapping.js';
import { sourceSettings, type Workspace } from './workspace.js';

/** Where each part of a platform's mapping comes from, so an error can say which file to edit. */
export interface MappingOrigin {
  /** The mapping file in use: sources.<platform>.mapping, else the shipped mappings/<platform>.yaml. */
  file: string;
  /** The workspace config, when there is one. */
  workspaceConfig?: string;
  /** Attributes that sources.<platform>.attributes in the workspace config adds (or overrides). */
  workspaceAttributes: string[];
}

/**
 * A platform's mapping as pulls use it: the mapping file (sources.<platform>.mapping, else the
 * shipped mappings/<platform>.yaml) with the workspace config's extra attributes on top.
 */
export function resolveMapping(
  platform: string,
  defaultFile: string,
  workspace: Workspace,
  workspaceConfig: string | undefined,
): { mapping: Mapping; origin: MappingOrigin } {
  const source = sourceSettings(workspace, platform);
  const file = source.mapping ?? defaultFile;
  const fromFile = loadMapping(file);
  // Attributes from the workspace config extend the mapping file's: no code, no file edit.
  const mapping: Mapping = {
    ...fromFile,
    contacts: { ...fromFile.contacts, attributes: { ...fromFile.contacts.attributes, ...source.attributes } },
  };
  return {
    mapping,
    origin: {
      file,
      ...(workspaceConfig ? { workspaceConfig } : {}),
      workspaceAttributes: Object.keys(source.attributes),
    },
  };
}

/** Which file (and key in it) an admin edits to change one mapped field. */
export function mappingKeyLocation(platform: string, key: string, origin: MappingOrigin): { file: string; key: string } {
  const attribute = /^contacts\.attributes\.(.+)$/.exec(key)?.[1];
  if (attribute !== undefined && origin.workspaceAttributes.includes(attribute)) {
    return { file: origin.workspaceConfig ? displayPath(origin.workspaceConfig) : 'the workspace config', key: `sources.${platform}.attributes.${attribute}` };
  }
  return { file: displayPath(origin.file), key };
}

/** A path as the admin would type it: relative to the working directory when below it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
