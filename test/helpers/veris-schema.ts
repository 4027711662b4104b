/**
 * A checker for VERIS records, written from the published VERIS Community schema, version 1.4.0
 * (vz-risk/veris, verisc-merged.json at tag v1.4.0, "VERIS Community Schema 1.4.0"; JSON Schema
 * draft-04). The required fields, enumerations, bounds, patterns and allowed keys below are
 * transcribed as facts for the parts of the schema a Vigil export fills; the schema file itself is
 * not copied. `checkVeris` returns every problem found (empty: valid for these rules).
 */

/** Top-level properties of the schema (additionalProperties: false at the top level). */
export const TOP_LEVEL_PROPERTIES = [
  'incident_id', 'security_incident', 'reference', 'summary', 'source_id', 'campaign_id', 'confidence', 'timeline', 'victim', 'action', 'actor',
  'asset', 'attribute', 'targeted', 'discovery_method', 'discovery_notes', 'value_chain', 'impact', 'notes', 'plus', 'extra', 'corrective_action',
  'cost_corrective_action', 'ioc', 'control_failure', 'subsets', 'schema_version', 'schema_name',
] as const;

/** Required at the top level. */
export const TOP_LEVEL_REQUIRED = ['actor', 'action', 'discovery_method', 'schema_version', 'asset', 'timeline', 'incident_id', 'security_incident', 'summary'] as const;

/** Required fields of the objects an export fills (path -> required keys). */
export const REQUIRED: Record<string, readonly string[]> = {
  'action.physical': ['vector', 'variety'],
  'action.misuse': ['vector', 'variety'],
  'actor.external': ['variety', 'motive'],
  'actor.internal': ['motive', 'variety'],
  asset: ['assets', 'cloud'],
  'asset.assets[]': ['variety'],
  'attribute.availability': ['variety'],
  'attribute.integrity': ['variety'],
  'attribute.confidentiality': ['data_disclosure'],
  'discovery_method.internal': ['variety'],
  impact: ['overall_rating'],
  'impact.loss[]': ['variety'],
  timeline: ['incident'],
  'timeline.incident': ['year'],
  victim: ['country', 'employee_count', 'industry', 'government'],
};

/** Keys allowed in objects with additionalProperties: false (path -> keys). */
export const ALLOWED_KEYS: Record<string, readonly string[]> = {
  action: ['hacking', 'malware', 'social', 'error', 'misuse', 'physical', 'environmental', 'unknown'],
  'action.physical': ['variety', 'vector', 'notes', 'result'],
  'action.misuse': ['variety', 'vector', 'notes', 'result'],
  actor: ['external', 'internal', 'partner', 'unknown'],
  'actor.external': ['variety', 'motive', 'notes', 'country', 'region', 'name'],
  'actor.internal': ['variety', 'motive', 'job_change', 'notes'],
  asset: ['total_amount', 'assets', 'ownership', 'cloud', 'hosting', 'management', 'role', 'notes', 'country'],
  'asset.assets[]': ['variety', 'amount'],
  attribute: ['confidentiality', 'integrity', 'availability', 'unknown'],
  'attribute.confidentiality': ['data_disclosure', 'data_total', 'data', 'data_victim', 'state', 'notes'],
  'attribute.integrity': ['variety', 'notes'],
  discovery_method: ['external', 'internal', 'partner', 'other', 'unknown'],
  'discovery_method.internal': ['variety'],
  impact: ['overall_rating', 'iso_currency_code', 'overall_amount', 'overall_min_amount', 'overall_max_amount', 'loss', 'notes'],
  'impact.loss[]': ['variety', 'rating', 'amount', 'min_amount', 'max_amount'],
  timeline: ['incident', 'compromise', 'exfiltration', 'discovery', 'containment'],
  'timeline.incident': ['year', 'month', 'day', 'time'],
  victim: ['victim_id', 'employee_count', 'industry', 'government', 'locations_affected', 'country', 'region', 'state', 'notes', 'secondary', 'revenue'],
};

/** Objects that must have at least one property (minProperties: 1). */
export const MIN_ONE_PROPERTY = ['action', 'actor', 'asset', 'attribute', 'discovery_method'] as const;

/** Enumerations (path -> values). Arrays of them are minItems 1 and uniqueItems. */
export const ENUMS: Record<string, readonly string[]> = {
  'security_incident': ["Confirmed", "Suspected", "Near miss", "False positive"],
  'confidence': ["High", "Medium", "Low", "None"],
  'action.physical.variety': ["Assault", "Bypassed controls", "Connection", "Destruction", "Disabled controls", "Evade Defenses", "Skimmer", "Snooping", "Surveillance", "Tampering", "Theft", "Wiretapping", "Other", "Unknown"],
  'action.physical.vector': ["Partner facility", "Partner vehicle", "Personal residence", "Personal vehicle", "Public facility", "Public vehicle", "Victim grounds", "Victim public area", "Victim secure area", "Victim work area", "Unknown", "Other"],
  'action.misuse.variety': ["Data mishandling", "Email misuse", "Evade Defenses", "Illicit content", "Knowledge abuse", "Net misuse", "Password or Session Sharing", "Possession abuse", "Privilege abuse", "Snap picture", "Unapproved hardware", "Unapproved software", "Unapproved workaround", "Other", "Unknown"],
  'action.misuse.vector': ["LAN access", "Non-corporate", "Physical access", "Remote access", "Web application", "Other", "Unknown"],
  'actor.external.variety': ["Acquaintance", "Activist", "Auditor", "Competitor", "Customer", "Force majeure", "Former employee", "Nation-state", "Organized crime", "State-affiliated", "Terrorist", "Unaffiliated", "Other", "Unknown"],
  'actor.external.motive': ["Convenience", "Espionage", "Fear", "Financial", "Fun", "Grudge", "Ideology", "NA", "Secondary", "Other", "Unknown"],
  'actor.internal.variety': ["Auditor", "Call center", "Cashier", "Developer", "End-user", "Executive", "Finance", "Guard", "Helpdesk", "Human resources", "Maintenance", "Manager", "System admin", "Doctor or nurse", "Other", "Unknown"],
  'actor.internal.motive': ["Convenience", "Espionage", "Fear", "Financial", "Fun", "Grudge", "Ideology", "Secondary", "NA", "Other", "Unknown"],
  'asset.assets[].variety': ["M - Disk drive", "M - Disk media", "M - Documents", "M - Flash drive", "M - Payment card", "M - Smart card", "M - SIM card", "M - Tapes", "M - Other", "M - Unknown", "M - Fax", "N - Access reader", "N - Broadband", "N - Camera", "N - Firewall", "N - HSM", "N - IDS", "N - LAN", "N - NAS", "N - PBX", "N - PLC", "N - Private WAN", "N - Public WAN", "N - Router or switch", "N - RTU", "N - SAN", "N - Telephone", "N - VoIP adapter", "N - WLAN", "N - Other", "N - Unknown", "P - Auditor", "P - Call center", "P - Cashier", "P - Customer", "P - Developer", "P - End-user", "P - End-user or employee", "P - Executive", "P - Finance", "P - Former employee", "P - Guard", "P - Helpdesk", "P - Human resources", "P - Maintenance", "P - Manager", "P - Other employee", "P - Partner", "P - System admin", "P - Other", "P - Unknown", "S - Authentication", "S - Backup", "S - Configuration or patch management", "S - Code repository", "S - Database", "S - DCS", "S - DHCP", "S - Directory", "S - DNS", "S - File", "S - ICS", "S - Log", "S - Mail", "S - Mainframe", "S - Payment switch", "S - POS controller", "S - Print", "S - Proxy", "S - Remote access", "S - VM host", "S - Web application", "S - Other", "S - Unknown", "T - ATM", "T - Gas terminal", "T - Kiosk", "T - PED pad", "T - Other", "T - Unknown", "U - Auth token", "U - Desktop", "U - Desktop or laptop", "U - Laptop", "U - Media", "U - Mobile phone", "U - Peripheral", "U - POS terminal", "U - Tablet", "U - Telephone", "U - VoIP phone", "U - Other", "U - Unknown", "E - Telemetry", "E - Telematics", "E - Other", "E - Unknown", "Unknown", "Other"],
  'asset.cloud': ["On-Premise Asset(s)", "External Cloud Asset(s)", "Other", "Unknown", "NA"],
  'attribute.availability.variety': ["Acceleration", "Degradation", "Destruction", "Interruption", "Loss", "Obscuration", "Other", "Unknown"],
  'attribute.integrity.variety': ["Alter behavior", "Created account", "Defacement", "Fraudulent transaction", "Hardware tampering", "Log tampering", "Misrepresentation", "Modify configuration", "Modify data", "Modify privileges", "Repurpose", "Software installation", "Other", "Unknown"],
  'attribute.confidentiality.data_disclosure': ["No", "Potentially", "Yes", "Unknown"],
  'attribute.confidentiality.data[].variety': ["API key", "Bank", "Classified", "Copyrighted", "Credentials", "Digital certificate", "Internal", "Medical", "Multi-factor credential", "Payment", "Personal", "Sensitive Personal", "Secrets", "Session key", "Source code", "System", "Virtual currency", "Other", "Unknown"],
  'discovery_method.internal.variety': ["Antivirus", "Break in discovered", "Data loss prevention", "Financial audit", "Fraud detection", "Hids", "Incident response", "Infrastructure monitoring", "It review", "Log review", "Nids", "Offboarding", "Reported by employee", "Security alarm", "Other", "Unknown"],
  'discovery_method.external.variety': ["Actor disclosure", "Audit", "Customer", "Emergency response team", "Found documents", "Fraud detection", "Incident response", "Law enforcement", "Security researcher", "Suspicious traffic", "Unrelated 3rd party", "Other", "Unknown"],
  'impact.overall_rating': ["Catastrophic", "Damaging", "Painful", "Distracting", "Insignificant", "Unknown"],
  'impact.iso_currency_code': ["AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYR", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GGP", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "IMP", "INR", "IQD", "IRR", "ISK", "JEP", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LVL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRO", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLL", "SOS", "SPL", "SRD", "STD", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TVD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VEF", "VND", "VUV", "WST", "XAF", "XCD", "XDR", "XOF", "XPF", "YER", "ZAR", "ZMK", "ZWD", "XBT", "BCH", "Ether", "Litecoin", "XMR", "ZEC"],
  'impact.loss[].variety': ["Asset and fraud", "Brand damage", "Business disruption", "Competitive advantage", "Legal and regulatory", "Operating costs", "Response and recovery", "Other"],
  'victim.employee_count': ["Small", "1 to 10", "11 to 100", "101 to 1000", "Large", "1001 to 10000", "10001 to 25000", "25001 to 50000", "50001 to 100000", "Over 100000", "Unknown"],
  'victim.government': ["Federal", "Regional", "Local", "Unknown", "Other", "NA"],
  'victim.country': ["Unknown", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW", "XK", "Other"],
};

/** victim.industry: a NAICS code, 2 to 6 characters. */
export const INDUSTRY_PATTERN = /^(00|11|2[1-3]|3[1-3]|4[24589]|5[1-6]|6[1-2]|7[12]|81|92)-?\d{0,4}/;

/** timeline.incident.time: "Use the format '05:45:00 PM'" (the intent of the schema's pattern). */
export const TIME_PATTERN = /^(0[1-9]|1[0-2]):[0-5][0-9]:[0-5][0-9] [AP]M$/;

type Json = unknown;
const isObj = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of `record` against the rules above. */
export function checkVeris(record: Json): string[] {
  const problems: string[] = [];
  if (!isObj(record)) return ['the record is not an object'];
  for (const k of TOP_LEVEL_REQUIRED) if (record[k] === undefined) problems.push(`${k}: required`);
  for (const k of Object.keys(record)) if (!(TOP_LEVEL_PROPERTIES as readonly string[]).includes(k)) problems.push(`${k}: not a property of the schema`);
  for (const k of ['incident_id', 'summary', 'schema_version', 'source_id', 'schema_name']) if (record[k] !== undefined && typeof record[k] !== 'string') problems.push(`${k}: expected a string`);

  const at = (path: string): Json[] => {
    // Values at a dotted path; "x[]" steps into every item of an array.
    let cur: Json[] = [record];
    for (const part of path.split('.')) {
      const each = part.endsWith('[]');
      const key = each ? part.slice(0, -2) : part;
      const next: Json[] = [];
      for (const c of cur) {
        if (!isObj(c) || c[key] === undefined) continue;
        if (each) {
          if (Array.isArray(c[key])) next.push(...(c[key] as Json[]));
          else problems.push(`${path}: expected an array`);
        } else next.push(c[key]);
      }
      cur = next;
    }
    return cur;
  };

  for (const path of MIN_ONE_PROPERTY) for (const v of at(path)) if (!isObj(v) || Object.keys(v).length === 0) problems.push(`${path}: expected an object with at least one property`);
  for (const [path, keys] of Object.entries(REQUIRED)) {
    for (const v of at(path)) {
      if (!isObj(v)) {
        problems.push(`${path}: expected an object`);
        continue;
      }
      for (const k of keys) if (v[k] === undefined) problems.push(`${path}.${k}: required`);
    }
  }
  for (const [path, keys] of Object.entries(ALLOWED_KEYS)) for (const v of at(path)) if (isObj(v)) for (const k of Object.keys(v)) if (!keys.includes(k)) problems.push(`${path}.${k}: not allowed here`);
  for (const [path, values] of Object.entries(ENUMS)) {
    for (const v of at(path)) {
      const list = Array.isArray(v) ? v : [v];
      if (Array.isArray(v)) {
        if (v.length === 0) problems.push(`${path}: expected at least one item`);
        if (new Set(v.map((x) => JSON.stringify(x))).size !== v.length) problems.push(`${path}: expected unique items`);
      }
      for (const x of list) if (typeof x !== 'string' || !values.includes(x)) problems.push(`${path}: ${JSON.stringify(x)} is not one of the enumeration`);
    }
  }
  // asset.assets[] items are unique as a whole (uniqueItems), variety once each here.
  for (const v of at('asset.assets')) if (Array.isArray(v) && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) problems.push('asset.assets: expected unique items');
  for (const v of at('asset.assets[].amount')) if (!Number.isInteger(v)) problems.push('asset.assets[].amount: expected an integer');

  for (const t of at('timeline.incident')) {
    if (!isObj(t)) continue;
    const int = (k: string, min: number, max: number) => {
      if (t[k] === undefined) return;
      if (!Number.isInteger(t[k]) || (t[k] as number) < min || (t[k] as number) > max) problems.push(`timeline.incident.${k}: expected an integer in ${min}..${max}`);
    };
    int('year', 1950, 2050);
    int('month', 1, 12);
    int('day', 1, 31);
    if (t.time !== undefined && (typeof t.time !== 'string' || !TIME_PATTERN.test(t.time))) problems.push(`timeline.incident.time: expected "hh:mm:ss AM|PM", got ${JSON.stringify(t.time)}`);
  }
  for (const v of at('victim.industry')) if (typeof v !== 'string' || v.length < 2 || v.length > 6 || !INDUSTRY_PATTERN.test(v)) problems.push(`victim.industry: ${JSON.stringify(v)} is not a NAICS code`);
  for (const v of at('victim.victim_id')) if (typeof v !== 'string') problems.push('victim.victim_id: expected a string');
  for (const v of at('victim.locations_affected')) if (!Number.isInteger(v)) problems.push('victim.locations_affected: expected an integer');
  for (const k of ['overall_amount', 'overall_min_amount', 'overall_max_amount']) for (const v of at(`impact.${k}`)) if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`impact.${k}: expected a number`);
  for (const v of at('impact.loss[].amount')) if (typeof v !== 'number' || !Number.isFinite(v)) problems.push('impact.loss[].amount: expected a number');
  for (const k of ['notes']) for (const path of [`impact.${k}`, `asset.${k}`, `action.physical.${k}`]) for (const v of at(path)) if (typeof v !== 'string' || v.length < 1) problems.push(`${path}: expected a non-empty string`);
  for (const v of at('plus')) if (!isObj(v)) problems.push('plus: expected an object');
  for (const v of at('plus.master_id')) if (typeof v !== 'string' || v.length < 1) problems.push('plus.master_id: expected a non-empty string');
  return problems;
}
