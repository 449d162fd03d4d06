// "The diagram is readable at 1400 px", as numbers. At a 1400 px wide window the page (and a
// diagram SVG on a page of its own) must show the whole diagram without scrolling sideways, with
// state names of at least 12 px and transition labels of at least 10 px, and no two labels
// overlapping. 12 px is the smallest size commonly used for body text on screen; 10 px is a floor for
// secondary annotations, where Helvetica's lowercase letters are still about 5 px high. Graphviz
// draws them at 14 and 10 points (18.7 and 13.3 px unscaled), so the diagram may be scaled down to
// about three quarters of its natural size, no further.
export const VIEWPORT_WIDTH = 1400;
export const MIN_STATE_LABEL_PX = 12;
export const MIN_TRANSITION_LABEL_PX = 10;
/** A classic (non-overlay) scrollbar, which a desktop browser takes from the page's width. */
export const SCROLLBAR_PX = 17;

export interface SvgSize {
  /** The user-space width (viewBox) and the natural CSS width (the `width` attribute, pt → px). */
  viewBoxWidth: number;
  naturalWidthPx: number;
  /** Font sizes of the labels, in user units, by the Graphviz group they belong to. */
  stateFonts: number[];
  transitionFonts: number[];
}

/** Sizes read from Graphviz's SVG text. */
export function svgSize(svg: string): SvgSize {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const width = /\bwidth="([\d.]+)(pt|px)?"/.exec(root);
  const viewBox = /\bviewBox="[\d.-]+ [\d.-]+ ([\d.]+) [\d.]+"/.exec(root);
  if (!width || !viewBox) throw new Error('not a Graphviz SVG: no width or viewBox');
  const naturalWidthPx = Number(width[1]) * (width[2] === 'px' ? 1 : 4 / 3);
  const fonts = (kind: string) =>
    [...svg.matchAll(new RegExp(`<g id="[^"]+" class="${kind}"[^>]*>([\\s\\S]*?)</g>`, 'g'))].flatMap((group) =>
      [...group[1].matchAll(/<text\b[^>]*font-size="([\d.]+)"/g)].map((m) => Number(m[1])),
    );
  return { viewBoxWidth: Number(viewBox[1]), naturalWidthPx, stateFonts: fonts('node'), transitionFonts: fonts('edge') };
}

/**
 * The smallest label sizes in CSS px when the SVG is shown as the page shows it (`max-width: 100%`,
 * never enlarged) in `availablePx` of width.
 */
export function renderedLabelSizes(
  size: SvgSize,
  availablePx: number,
): { widthPx: number; stateLabelPx: number; transitionLabelPx: number } {
  const widthPx = Math.min(size.naturalWidthPx, availablePx);
  const scale = widthPx / size.viewBoxWidth;
  return {
    widthPx,
    stateLabelPx: Math.min(...size.stateFonts) * scale,
    transitionLabelPx: size.transitionFonts.length ? Math.min(...size.transitionFonts) * scale : Infinity,
  };
}
