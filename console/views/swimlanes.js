// One order's timeline drawn as SVG swimlanes: a lane per participant, a mark per entry at its time, arrows from a publish to its consumption.
import { html } from '/console/html.js';

/** The participants in the order the story usually moves through them; any other source gets a lane after these. */
const LANE_ORDER = ['orchestrator', 'catalog-replica', 'payment', 'inventory', 'order-outcome', 'notifications', 'shipping'];
const SENDS = ['event-published', 'event-relayed', 'signal-sent'];
const RECEIVES = ['event-consumed', 'signal-received'];
const COMPENSATIONS = ['voidPayment', 'refundPayment', 'order.cancelled'];

const LANE_HEIGHT = 56;
const LABEL_WIDTH = 130;
const STEP = 18;
const MARK_RADIUS = 7;

/** What a mark's colour says: retries and dead letters each have their own, so does a failure and a compensation. */
export function markCategory(entry) {
  const outcome = entry.detail?.outcome;
  if (outcome === 'dead-lettered' || entry.kind.includes('dead-letter')) return 'dead-letter';
  if (outcome === 'retry-scheduled' || entry.kind === 'step-retried' || entry.kind === 'step-retrying' || entry.name === 'retry-backoff') return 'retry';
  if (COMPENSATIONS.includes(entry.name)) return 'compensation';
  if (entry.kind === 'step-failed' || entry.kind === 'workflow-failed' || entry.kind === 'step-timed-out' || entry.kind === 'inventory-slow' || entry.kind === 'shipment-failed') return 'failure';
  if (SENDS.includes(entry.kind) || RECEIVES.includes(entry.kind)) return 'message';
  return 'step';
}

export const lanesOf = (entries) => {
  const present = new Set(entries.map((entry) => entry.source));
  return [...LANE_ORDER.filter((lane) => present.has(lane)), ...[...present].filter((lane) => !LANE_ORDER.includes(lane))];
};

/**
 * x grows with every entry (so marks keep their order even within one millisecond) and with the time between entries,
 * compressed: a retry's seconds of back-off show as a gap without pushing the quick steps into one pixel.
 */
function positions(entries) {
  let x = LABEL_WIDTH + 20;
  let previous;
  return entries.map((entry) => {
    const at = Date.parse(entry.at);
    if (previous !== undefined) x += STEP + Math.min(160, 28 * Math.log10(1 + Math.max(0, at - previous) / 5));
    previous = at;
    return x;
  });
}

/** Each consumption's arrow starts at the latest send of the same eventId in another lane (the first one when none came before). */
function arrows(entries) {
  const found = [];
  entries.forEach((entry, index) => {
    if (!RECEIVES.includes(entry.kind) || !entry.eventId) return;
    const sends = entries.map((candidate, at) => ({ candidate, at })).filter(({ candidate }) => SENDS.includes(candidate.kind) && candidate.eventId === entry.eventId && candidate.source !== entry.source);
    const before = sends.filter(({ at }) => at < index);
    const from = before[before.length - 1] ?? sends[0];
    if (from) found.push({ from: from.at, to: index });
  });
  return found;
}

const describe = (entry) => `${entry.source}: ${entry.kind} ${entry.name}${entry.attempt ? ` (attempt ${entry.attempt})` : ''}${entry.detail?.outcome ? ` — ${entry.detail.outcome}` : ''} at ${entry.at}`;

export function Swimlanes({ entries, selected, onSelect }) {
  const lanes = lanesOf(entries);
  const xs = positions(entries);
  const laneY = (source) => 30 + lanes.indexOf(source) * LANE_HEIGHT + LANE_HEIGHT / 2;
  const width = (xs[xs.length - 1] ?? LABEL_WIDTH) + 40;
  const height = 30 + lanes.length * LANE_HEIGHT + 10;
  const keyed = (index) => (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onSelect(index);
    }
  };
  return html`
    <div class="swimlanes-scroll">
      <svg class="swimlanes" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="group" aria-label="Timeline swimlanes">
        <defs>
          <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
          </marker>
        </defs>
        ${lanes.map(
          (lane, index) => html`
            <g class="lane" data-lane=${lane} key=${lane}>
              <rect class=${`lane-band ${index % 2 ? 'odd' : 'even'}`} x="0" y=${30 + index * LANE_HEIGHT} width=${width} height=${LANE_HEIGHT} />
              <text class="lane-label" x="10" y=${laneY(lane) + 4}>${lane}</text>
              <line class="lane-line" x1=${LABEL_WIDTH} x2=${width - 10} y1=${laneY(lane)} y2=${laneY(lane)} />
            </g>`,
        )}
        ${arrows(entries).map(({ from, to }) => {
          const [x1, y1, x2, y2] = [xs[from], laneY(entries[from].source), xs[to], laneY(entries[to].source)];
          // The line stops at the receiving mark's edge, so its head is not hidden under the mark.
          const length = Math.hypot(x2 - x1, y2 - y1) || 1;
          const shortBy = Math.min(MARK_RADIUS + 2, length / 2);
          return html`<line class="arrow" data-event-id=${entries[to].eventId} x1=${x1} y1=${y1}
            x2=${x2 - ((x2 - x1) / length) * shortBy} y2=${y2 - ((y2 - y1) / length) * shortBy} marker-end="url(#arrowhead)" />`;
        })}
        ${entries.map((entry, index) => {
          const category = markCategory(entry);
          return html`
            <g class=${`mark mark-${category}${selected === index ? ' selected' : ''}`} key=${index} tabindex="0" role="button"
              aria-label=${describe(entry)} aria-pressed=${selected === index ? 'true' : 'false'}
              data-source=${entry.source} data-kind=${entry.kind} data-name=${entry.name} data-at=${entry.at} data-category=${category} data-index=${index}
              onClick=${() => onSelect(index)} onFocus=${() => onSelect(index)} onMouseEnter=${() => onSelect(index)} onKeyDown=${keyed(index)}>
              <title>${describe(entry)}</title>
              <circle cx=${xs[index]} cy=${laneY(entry.source)} r=${MARK_RADIUS} />
            </g>`;
        })}
      </svg>
    </div>
  `;
}

export function Legend() {
  const items = [['step', 'step'], ['message', 'message sent or consumed'], ['retry', 'retry'], ['dead-letter', 'dead letter'], ['failure', 'failure or slow'], ['compensation', 'compensation (void, cancel)']];
  return html`<ul class="legend" aria-label="Legend">${items.map(([category, label]) => html`<li><span class=${`swatch mark-${category}`}></span>${label}</li>`)}</ul>`;
}
