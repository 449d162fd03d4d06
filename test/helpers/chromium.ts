// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (which downloads no browser). .ci/run installs the `chromium` package where it is absent. Where
// Chromium is missing the tests skip with a message, except under CI=true or
// RUNTIME_AGENT_REQUIRE_BROWSER=1 (.ci/run sets it), where they fail: there the browser test must run.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.RUNTIME_AGENT_CHROMIUM || '/usr/bin/chromium';

/**
 * Flags that work on the build machines as root, with the closed network (no background
 * connections, which the machine refuses by the dozen). playwright-core adds a fresh, empty
 * --user-data-dir of its own to every launch and removes it at close.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here, or undefined; under CI a missing Chromium is an error. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} is absent: install Debian's chromium package (apt-get install chromium), as .ci/run does`;
  const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.RUNTIME_AGENT_REQUIRE_BROWSER === '1';
  if (required) throw new Error(reason);
  return reason;
}

export async function launchChromium(t: Test): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
  t.teardown(() => browser.close());
  return browser;
}

/** Screenshots are test output, not sources: .tap/screenshots (ignored by git) or $RUNTIME_AGENT_SCREENSHOT_DIR. */
export async function screenshot(t: Test, page: Page, name: string): Promise<string> {
  const dir = process.env.RUNTIME_AGENT_SCREENSHOT_DIR || fileURLToPath(new URL('../../.tap/screenshots', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.comment(`screenshot: ${path}`);
  return path;
}

export interface LabelBox {
  kind: 'state' | 'transition' | 'compound';
  text: string;
  px: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DiagramMeasure {
  viewportWidth: number;
  /** The document's width: more than the viewport means scrolling sideways. */
  scrollWidth: number;
  svgLeft: number;
  svgRight: number;
  labels: LabelBox[];
  overlaps: Array<[string, string]>;
}

/** The diagram as Chromium lays it out: its box, every label's rendered font size and box, overlapping labels. */
export function measureDiagram(page: Page, selector = 'svg'): Promise<DiagramMeasure> {
  return page.evaluate((sel) => {
    const svg = document.querySelector(sel) as SVGSVGElement;
    const box = svg.getBoundingClientRect();
    const labels = Array.from(svg.querySelectorAll('g.node text, g.edge text, g.cluster text')).map((node) => {
      const text = node as SVGTextElement;
      const r = text.getBoundingClientRect();
      const kind = text.closest('g.node') ? 'state' : text.closest('g.edge') ? 'transition' : 'compound';
      const px = parseFloat(getComputedStyle(text).fontSize) * (text.getScreenCTM()?.a ?? 1);
      return { kind, text: text.textContent ?? '', px, left: r.left, top: r.top, width: r.width, height: r.height };
    });
    const overlaps: Array<[string, string]> = [];
    // Half a pixel of tolerance: Graphviz sets labels edge to edge.
    const inset = 0.5;
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const a = labels[i];
        const b = labels[j];
        if (
          a.left + inset < b.left + b.width - inset &&
          b.left + inset < a.left + a.width - inset &&
          a.top + inset < b.top + b.height - inset &&
          b.top + inset < a.top + a.height - inset
        ) {
          overlaps.push([a.text, b.text]);
        }
      }
    }
    return {
      viewportWidth: window.innerWidth,
      scrollWidth: document.documentElement.scrollWidth,
      svgLeft: box.left,
      svgRight: box.right,
      labels,
      overlaps,
    } as never;
  }, selector);
}
