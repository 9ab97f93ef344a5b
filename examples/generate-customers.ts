// Writes customers/customers.csv: one row per CDNOW sample customer (ids 1..2357) with a safe address.
// Run: npx tsx examples/generate-customers.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Grace', 'Hugo', 'Ines', 'Jon', 'Kira', 'Luis', 'Mia', 'Nils', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Vik', 'Wen', 'Yara', 'Zoe'];
const ZONES = [
  ['US', 'America/New_York'], ['US', 'America/Chicago'], ['US', 'America/Los_Angeles'], ['CA', 'America/Toronto'],
  ['GB', 'Europe/London'], ['DE', 'Europe/Berlin'], ['AU', 'Australia/Sydney'],
] as const;

const here = path.dirname(fileURLToPath(import.meta.url));
const lines = ['customer_id,email,first_name,country,timezone,consent'];
for (let id = 1; id <= 2357; id++) {
  const [country, timezone] = ZONES[id % ZONES.length] ?? ZONES[0];
  const name = FIRST_NAMES[(id * 7) % FIRST_NAMES.length] ?? 'Ada';
  // The SES mailbox simulator accepts any label and never delivers to a person; every 25th customer has opted out.
  const email = `success+customer-${String(id).padStart(4, '0')}@simulator.amazonses.com`;
  lines.push([id, email, name, country, timezone, id % 25 === 0 ? 'no' : 'yes'].join(','));
}
fs.writeFileSync(path.join(here, 'customers', 'customers.csv'), lines.join('\n') + '\n');
