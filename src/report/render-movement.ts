/**
 * The report's "Segment movement" section (src/report/render-html.ts places it): segment sizes
 * after each run as line charts (drawn by MOVEMENT_SCRIPT in the page's script, one polyline per
 * segment, class movement-line), and the RFM transition matrix from the previous run to the
 * latest as a table shaded by each row's share (a heat map that needs no script).
 */
import type { ReportMovement, ReportMovementRun, ReportMovementSeries } from './movement-data.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function percent(share: number | null): string {
  return share === null ? '—' : `${oneDecimal.format(share * 100)}%`;
}

function runName(run: ReportMovementRun): string {
  return `run #${run.id} (${run.createdAt.slice(0, 10)})`;
}

function sizesChart(id: string, what: string, series: ReportMovementSeries[], colour: (i: number) => string): string {
  const legend = series.map((s, i) => `<li><span class="swatch" style="background:${colour(i)}"></span>${escapeHtml(s.name)}</li>`).join('');
  return `<figure class="chart"><svg id="${id}" viewBox="0 0 720 320" role="img" aria-label="Line chart of ${what} sizes after each segmentation run"></svg><ul class="legend">${legend}</ul></figure>`;
}

function transitionTable(t: NonNullable<Extract<ReportMovement, { status: 'shown' }>['transition']>): string {
  const none = t.segments.length;
  const names = [...t.segments.map((s) => s.name), 'Not in any'];
  const head = `<tr><th scope="col">From \\ to</th>${names.map((n) => `<th scope="col" class="num">${escapeHtml(n)}</th>`).join('')}<th scope="col" class="num">Total</th><th scope="col" class="num">Stayed</th></tr>`;
  const rows = t.counts.map((row, i) => {
    const total = row.reduce((sum, n) => sum + n, 0);
    const cells = row.map((n, j) => {
      if (i === none && j === none) return '<td></td>';
      const share = total > 0 ? n / total : 0;
      const shade = n > 0 ? ` style="background:rgba(0,114,178,${(0.06 + 0.84 * share).toFixed(3)})${share > 0.55 ? ';color:#fff' : ''}"` : '';
      return `<td class="num${i === j ? ' diagonal' : ''}" data-from="${i}" data-to="${j}"${shade}>${integer.format(n)}</td>`;
    }).join('');
    const label = i < none ? escapeHtml(names[i]!) : 'Not in any (new)';
    return `<tr><th scope="row">${label}</th>${cells}<td class="num">${integer.format(total)}</td><td class="num">${i < none ? percent(t.retention[i]!.share) : ''}</td></tr>`;
  }).join('');
  return `<div class="scroll"><table class="transition"><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

export function movementSection(movement: ReportMovement | null | undefined, colour: (i: number) => string): string {
  if (!movement) return '';
  const title = 'Segment movement';
  if (movement.status === 'skipped') return `<section id="movement"><h2>${title}</h2><p class="empty">No movement to show yet: ${escapeHtml(movement.reason)}.</p></section>`;
  const t = movement.transition;
  const moves = t && t.largestMoves.length > 0
    ? `<h4>Largest moves</h4><ul class="moves">${t.largestMoves.map((m) => `<li>${escapeHtml(m.fromName)} → ${escapeHtml(m.toName)}: <strong>${integer.format(m.count)}</strong></li>`).join('')}</ul>`
    : '<p class="note">No one moved between two RFM segments.</p>';
  const matrix = t
    ? `<h3>RFM segments, ${runName(t.from)} → ${runName(t.to)}</h3>${moves}${transitionTable(t)}
<p class="note">Rows: the segment at ${runName(t.from)}; columns: the segment at ${runName(t.to)}; each row is shaded by its share. Stayed: the share of a segment still in it. Not in any: new since then (${integer.format(t.entered)}), or no longer segmented (${integer.format(t.left)}: every contact archived, deleted or merged away on its platform). A forgotten person's history is erased with them.</p>`
    : '<p class="empty">Neither run had RFM segments.</p>';
  return `<section id="movement"><h2>${title}</h2><p class="intro">How many people were in each segment after each of the ${integer.format(movement.runs.length)} segmentation runs, and where the people of each RFM segment went between the last two.</p>
<h3>RFM segment sizes</h3>${sizesChart('movement-rfm', 'RFM segment', movement.rfm, colour)}
${movement.personas.length > 0 ? `<h3>Persona sizes</h3>${sizesChart('movement-personas', 'persona', movement.personas, colour)}` : ''}
${matrix}</section>`;
}

export const MOVEMENT_STYLE = `
#movement h3 { margin-top: 24px; }
.moves { margin: 0 0 12px; padding-left: 20px; }
table.transition td.diagonal { font-weight: 700; }
table.transition thead th { white-space: normal; }
`;

/**
 * drawSizes(svg, runs, series): one polyline per series over the runs (evenly spaced, labelled by
 * run number and day). Inlined into the page's script, which defines el, yAxis, number, colour,
 * fmt and shortDayFmt. Plain ES5, no "</".
 */
export const MOVEMENT_SCRIPT = `
    function drawSizes(svg, runs, series) {
      if (!Array.isArray(runs) || !Array.isArray(series)) throw new Error('movement runs and series must be lists');
      var W = 720, H = 320, L = 64, R = 16, T = 16, B = 48, max = 0;
      series.forEach(function (s, i) {
        if (!Array.isArray(s.sizes) || s.sizes.length !== runs.length) throw new Error('movement series ' + s.key + ' must have one size per run');
        s.sizes.forEach(function (v, j) { max = Math.max(max, number(v, 'movement ' + s.key + ' sizes[' + j + ']')); });
      });
      var y = yAxis(svg, max, L, R, T, B, W, H, 'People');
      function x(i) { return runs.length < 2 ? L + (W - L - R) / 2 : L + i / (runs.length - 1) * (W - L - R); }
      var every = Math.max(1, Math.ceil(runs.length / 8));
      runs.forEach(function (r, i) {
        if (i % every !== 0) return;
        el(svg, 'text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle', 'class': 'tick' }, '#' + r.id);
        el(svg, 'text', { x: x(i), y: H - B + 30, 'text-anchor': 'middle', 'class': 'tick' }, shortDayFmt.format(new Date(Date.parse(r.createdAt))));
      });
      series.forEach(function (s, i) {
        var path = el(svg, 'polyline', { 'class': 'movement-line', 'data-key': s.key, points: s.sizes.map(function (v, j) { return x(j).toFixed(1) + ',' + y(v).toFixed(1); }).join(' '), fill: 'none', stroke: colour(i), 'stroke-width': 2, 'stroke-linejoin': 'round' });
        el(path, 'title', {}, s.name + ': ' + s.sizes.map(function (v) { return fmt.format(v); }).join(' → '));
      });
      return series.length;
    }
`;
