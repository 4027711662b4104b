/**
 * Test helper: validates CAP 1.2 documents against the OASIS schema (shared/data/cap/cap12.xsd) with
 * libxml2 compiled to wasm. Kept out of src/ because xmllint-wasm is a dev dependency only.
 */
import { readFile } from 'node:fs/promises';
import { validateXML } from 'xmllint-wasm';

/** Where the OASIS CAP 1.2 schema lives (the shared folder sits beside the repo). */
export const CAP_XSD_URL = new URL('../../../shared/data/cap/cap12.xsd', import.meta.url);

let xsd: Promise<string> | undefined;

/** Result of validating one document: `errors` are xmllint's messages (empty when valid). */
export interface CapValidation {
  valid: boolean;
  errors: string[];
}

/** Validates one CAP document (an `<alert>` in the CAP 1.2 namespace, XML declaration optional). */
export async function validateCap(xml: string): Promise<CapValidation> {
  return (await validateCapMany([xml]))[0]!;
}

/** Validates several documents in one xmllint run (one wasm worker instead of one per document). */
export async function validateCapMany(xmls: readonly string[]): Promise<CapValidation[]> {
  if (xmls.length === 0) return [];
  xsd ??= readFile(CAP_XSD_URL, 'utf8');
  const files = xmls.map((contents, i) => ({ fileName: `doc${i}.xml`, contents }));
  const res = await validateXML({ xml: files, schema: [{ fileName: 'cap12.xsd', contents: await xsd }] });
  // xmllint reports every file in one stderr; attribute lines to files by their "docN.xml" prefix.
  const lines = res.rawOutput.split('\n').filter((l) => l.trim() !== '');
  return files.map(({ fileName }) => {
    const mine = lines.filter((l) => l.startsWith(fileName + ':') || l.startsWith(fileName + ' '));
    const valid = mine.some((l) => l === `${fileName} validates`);
    return { valid, errors: valid ? [] : mine.filter((l) => l !== `${fileName} validates`) };
  });
}

/** The `<alert>…</alert>` elements embedded in a CAP Atom feed, each as a standalone document. */
export function capAlertsFromFeed(feedXml: string): string[] {
  return [...feedXml.matchAll(/<alert xmlns="urn:oasis:names:tc:emergency:cap:1\.2">[\s\S]*?<\/alert>/g)].map(
    (m) => `<?xml version="1.0" encoding="UTF-8"?>\n${m[0]}\n`,
  );
}
