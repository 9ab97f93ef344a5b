// Writes the invented parts of the demo data, deterministically:
//   customers/customers.csv  one row per CDNOW sample customer (ids 1..2357) with a safe address and
//                            demographics (birth date, gender, income band, city, interests)
//   events/engagement.csv    reviews, NPS answers and product views around the CDNOW purchases
// Run: npx tsx examples/generate-customers.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Dev', 'Elif', 'Femi', 'Grace', 'Hugo', 'Ines', 'Jon', 'Kira', 'Luis', 'Mia', 'Nils', 'Olu', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Vik', 'Wen', 'Yara', 'Zoe'];
const ZONES = [
  ['US', 'America/New_York', 'New York'], ['US', 'America/Chicago', 'Chicago'], ['US', 'America/Los_Angeles', 'Los Angeles'], ['CA', 'America/Toronto', 'Toronto'],
  ['GB', 'Europe/London', 'London'], ['DE', 'Europe/Berlin', 'Berlin'], ['AU', 'Australia/Sydney', 'Sydney'],
] as const;
const GENDERS = ['female', 'male', 'female', 'male', 'non-binary', ''];
const INCOMES = ['Under 15K', '15-24K', '25-34K', '35-49K', '50-74K', '75-99K', '100-124K', '125-149K', '150-174K', '250K+', ''];
const INTERESTS = ['music', 'books', 'sports', 'outdoors', 'fashion', 'technology'];
const GENRES = ['rock', 'jazz', 'classical', 'pop', 'country'];

/** A deterministic number in [0, 1) from a customer id and a purpose, so the files never change. */
function draw(id: number, salt: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 2 ** 32;
}
const pick = <T>(items: readonly T[], r: number): T => items[Math.floor(r * items.length)] ?? (items[0] as T);

const here = path.dirname(fileURLToPath(import.meta.url));
const customers = ['customer_id,email,first_name,country,city,timezone,consent,birth_date,gender,income,interests'];
for (let id = 1; id <= 2357; id++) {
  const [country, timezone, city] = ZONES[id % ZONES.length] ?? ZONES[0];
  const name = FIRST_NAMES[(id * 7) % FIRST_NAMES.length] ?? 'Ada';
  // The SES mailbox simulator accepts any label and never delivers to a person; every 25th customer has opted out.
  const email = `success+customer-${String(id).padStart(4, '0')}@simulator.amazonses.com`;
  const born = draw(id, 1) < 0.15 ? '' : `${1935 + Math.floor(draw(id, 2) * 62)}-${String(1 + Math.floor(draw(id, 3) * 12)).padStart(2, '0')}-${String(1 + Math.floor(draw(id, 4) * 28)).padStart(2, '0')}`;
  const interests = INTERESTS.filter((_, i) => draw(id, 10 + i) < 0.2).join(';');
  customers.push([id, email, name, country, city, timezone, id % 25 === 0 ? 'no' : 'yes', born, pick(GENDERS, draw(id, 5)), pick(INCOMES, draw(id, 6)), interests].join(','));
}
fs.writeFileSync(path.join(here, 'customers', 'customers.csv'), customers.join('\n') + '\n');

// Events around the real purchases: a review a few days after some orders (mostly happy), an NPS
// answer for some customers, and product views in the last month of the data.
const orders = fs.readFileSync(path.join(here, 'orders', 'cdnow_sample.csv'), 'utf-8').trim().split('\n').slice(1).map((line) => line.split(','));
const events = ['customer_id,type,occurred_at,rating,score,category'];
const END = Date.parse('1998-06-30T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19) + 'Z';
orders.forEach(([, sampleId, date], n) => {
  const id = Number(sampleId);
  const at = Date.parse(`${date}T15:00:00Z`) + 3 * 86_400_000;
  if (draw(id * 10_007 + n, 20) < 0.25 && at <= END) {
    const rating = draw(id + n, 21) < 0.8 ? 4 + Math.floor(draw(id + n, 22) * 2) : 1 + Math.floor(draw(id + n, 23) * 2);
    events.push([id, 'review', iso(at), rating, '', ''].join(','));
  }
});
for (let id = 1; id <= 2357; id++) {
  if (draw(id, 30) < 0.1) events.push([id, 'nps', iso(Date.parse('1998-03-15T12:00:00Z') + Math.floor(draw(id, 31) * 20) * 86_400_000), '', Math.floor(draw(id, 32) * 11), ''].join(','));
  if (draw(id, 33) < 0.12) {
    const genre = pick(GENRES, draw(id, 34));
    const views = 1 + Math.floor(draw(id, 35) * 3);
    for (let v = 0; v < views; v++) events.push([id, 'product_view', iso(END - Math.floor(draw(id, 36 + v) * 25 * 86_400_000)), '', '', genre].join(','));
  }
}
fs.writeFileSync(path.join(here, 'events', 'engagement.csv'), events.join('\n') + '\n');
