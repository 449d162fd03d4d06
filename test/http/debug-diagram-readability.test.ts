// The generated diagram is readable at 1400 px, by the numbers in the SVG itself (no browser; the
// browser test measures the rendered page too): shown as /debug shows it, within a 1400 px window
// less the page's margins and a scrollbar, its state names are at least 12 px and its transition
// labels at least 10 px (test/helpers/diagram-readability.ts says why these sizes).
import t from 'tap';
import { PAGE_MARGIN_PX } from '../../src/agent/debug-page.js';
import { renderDiagram } from '../../src/commands/visualize.js';
import {
  MIN_STATE_LABEL_PX,
  MIN_TRANSITION_LABEL_PX,
  SCROLLBAR_PX,
  VIEWPORT_WIDTH,
  renderedLabelSizes,
  svgSize,
} from '../helpers/diagram-readability.js';

t.test('the state machine diagram is readable in a 1400 px window', async (t) => {
  const size = svgSize(await renderDiagram('svg'));
  const available = VIEWPORT_WIDTH - 2 * PAGE_MARGIN_PX - SCROLLBAR_PX;
  const shown = renderedLabelSizes(size, available);
  t.comment(
    `diagram ${size.viewBoxWidth} pt wide (${Math.round(size.naturalWidthPx)} px unscaled), shown ${Math.round(shown.widthPx)} px wide: state names ${shown.stateLabelPx.toFixed(1)} px, transition labels ${shown.transitionLabelPx.toFixed(1)} px`,
  );
  t.ok(size.stateFonts.length > 0 && size.transitionFonts.length > 0, 'the SVG has state and transition labels');
  t.ok(shown.widthPx <= available, 'it fits the width: no scrolling sideways');
  t.ok(shown.stateLabelPx >= MIN_STATE_LABEL_PX, `state names at least ${MIN_STATE_LABEL_PX} px (${shown.stateLabelPx.toFixed(1)} px)`);
  t.ok(
    shown.transitionLabelPx >= MIN_TRANSITION_LABEL_PX,
    `transition labels at least ${MIN_TRANSITION_LABEL_PX} px (${shown.transitionLabelPx.toFixed(1)} px)`,
  );
});

t.test('the measure: sizes read from an SVG and scaled as the page scales it', async (t) => {
  const svg = `<svg width="1500pt" height="300pt" viewBox="0.00 0.00 1500.00 300.00">
<g id="node1" class="node"><title>a</title><text x="1" y="1" font-size="14.00">A</text></g>
<g id="edge1" class="edge"><title>a&#45;&gt;b</title><text x="1" y="1" font-size="10.00">go</text></g></svg>`;
  const size = svgSize(svg);
  t.same(size, { viewBoxWidth: 1500, naturalWidthPx: 2000, stateFonts: [14], transitionFonts: [10] });
  const shown = renderedLabelSizes(size, 1000);
  t.same(
    shown,
    { widthPx: 1000, stateLabelPx: 14 * (1000 / 1500), transitionLabelPx: 10 * (1000 / 1500) },
    'shrunk to the width, labels with it',
  );
  t.equal(renderedLabelSizes(size, 4000).widthPx, 2000, 'never enlarged beyond its natural size');
});
