import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCampaign, type Campaign } from '../functions/core/campaign.ts';
import { PROJECT_ROOT } from './project-root.ts';

export const DEFAULT_CAMPAIGN_DIR = path.join(PROJECT_ROOT, 'examples', 'campaigns');

/** Reads and validates every campaign definition (*.json) in a folder, in name order. */
export function loadCampaigns(dir: string = DEFAULT_CAMPAIGN_DIR): Campaign[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      return parseCampaign(JSON.parse(fs.readFileSync(file, 'utf-8')) as unknown, file);
    });
}
