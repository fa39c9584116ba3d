/**
 * Screenshots of the main screens, kept as test artifacts (not snapshots to compare with) in
 * <results>/screenshots: test-results/, or the folder scripts/ui-test names in
 * KODELAB_UI_RESULTS.
 */
import * as path from 'path';

import { Locator, Page } from '@playwright/test';

export const SHOTS = path.join(
  __dirname,
  '..',
  process.env.KODELAB_UI_RESULTS ?? 'test-results',
  'screenshots'
);

/** Save a screenshot of a page or an element as <name>.png. */
export async function shot(
  target: Page | Locator,
  name: string
): Promise<void> {
  await target.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}
