// One order: its status and lines, its timeline as swimlanes with each mark's detail, links to Temporal and the trace, Cancel while it can.
import { html, Component } from '/console/html.js';
import { apiCall } from '/console/api.js';
import { startPolling } from '/console/live.js';
import { isTerminal, money, statusClass } from '/console/format.js';
import { Legend, Swimlanes } from '/console/views/swimlanes.js';

export class OrderPage extends Component {
  state = { order: undefined, timeline: undefined, selected: undefined, error: undefined, cancelError: undefined, cancelling: false };
  signature = '';

  componentDidMount() {
    // Quick while the order runs; once it has ended only late entries (notifications) can still arrive, so it slows down on its own.
    this.stopPolling = startPolling(() => this.load(), { minMs: 1_000, maxMs: 15_000 });
    void this.load();
  }

  componentWillUnmount() {
    this.stopPolling();
  }

  load = async () => {
    const { session, orderId } = this.props;
    const path = `/orders/${encodeURIComponent(orderId)}`;
    try {
      const [order, timeline] = await Promise.all([apiCall(session, path), apiCall(session, `${path}/timeline`).catch((error) => ({ failed: error.message }))]);
      const signature = JSON.stringify([order, timeline]);
      const changed = signature !== this.signature;
      this.signature = signature;
      if (changed) this.setState({ order, timeline: timeline.failed ? this.state.timeline : timeline, error: timeline.failed ? `Timeline: ${timeline.failed}` : undefined });
      return changed;
    } catch (error) {
      this.setState({ error: error.status === 404 ? `Order ${orderId} was not found (or is not yours).` : error.message });
      throw error;
    }
  };

  cancel = async () => {
    const { session, orderId } = this.props;
    this.setState({ cancelling: true, cancelError: undefined });
    try {
      await apiCall(session, `/orders/${encodeURIComponent(orderId)}/cancel`, { method: 'POST' });
      await this.load();
    } catch (error) {
      this.setState({ cancelError: error.message });
    } finally {
      this.setState({ cancelling: false });
    }
  };

  render({ session, orderId }, { order, timeline, selected, error, cancelError, cancelling }) {
    if (!order) return html`<section class="panel"><h1>Order ${orderId}</h1><p class=${error ? 'error' : ''} role="status">${error ?? 'Loading…'}</p></section>`;
    const entries = timeline?.entries ?? [];
    const traceId = entries.find((entry) => entry.traceId)?.traceId;
    const deadLettered = entries.some((entry) => entry.detail?.outcome === 'dead-lettered');
    const entry = selected === undefined ? undefined : entries[selected];
    return html`
      <section class="panel">
        <h1>Order <span class="order-id">${order.orderId}</span></h1>
        <div class="order-summary">
          <p><span class=${statusClass(order.status)} data-testid="order-status">${order.status}</span>${order.reason && html` <span class="reason">${order.reason}</span>`}
            ${order.inventory.slow && html` <span class="flag">slow: waiting on inventory since ${order.inventory.awaitingSince}</span>`}</p>
          <p>${order.customerId} · ${money(order.total, order.currency)} · payment ${order.payment.status} · inventory ${order.inventory.status}</p>
          <ul class="lines">${order.lines.map((line) => html`<li>${line.quantity} × ${line.name} (${line.sku}) — ${money(line.lineTotal, order.currency)}</li>`)}</ul>
          <p class="links">
            <a href=${order.links.temporalUi} target="_blank" rel="noopener noreferrer">Workflow in the Temporal UI</a>
            ${traceId && html` · trace id <code class="trace-id">${traceId}</code>`}
            ${deadLettered && session.role === 'admin' && html` · <a href="#/operators">a message was dead-lettered: see the operators' view</a>`}
          </p>
          ${!isTerminal(order.status) &&
          html`<p><button type="button" class="danger" onClick=${this.cancel} disabled=${cancelling}>${cancelling ? 'Cancelling…' : 'Cancel order'}</button></p>`}
          ${cancelError && html`<p class="error" role="alert">${cancelError}</p>`}
          ${error && html`<p class="error" role="status">${error}</p>`}
        </div>
        <h2>Timeline</h2>
        ${timeline?.unavailableSources?.length > 0 &&
        html`<p class="notice">Not readable just now: ${timeline.unavailableSources.map((part) => `${part.source} (${part.message})`).join(', ')}</p>`}
        <${Legend} />
        ${entries.length === 0 ? html`<p>No entries yet.</p>` : html`<${Swimlanes} entries=${entries} selected=${selected} onSelect=${(index) => this.setState({ selected: index })} />`}
        <div class="mark-detail" aria-live="polite">
          ${entry
            ? html`<h3>${entry.source}: ${entry.kind} <code>${entry.name}</code></h3>
                <dl>
                  <dt>at</dt><dd>${entry.at}</dd>
                  ${entry.attempt !== undefined && html`<dt>attempt</dt><dd>${entry.attempt}</dd>`}
                  ${entry.eventId && html`<dt>event id</dt><dd><code>${entry.eventId}</code></dd>`}
                  ${entry.traceId && html`<dt>trace id</dt><dd><code>${entry.traceId}</code></dd>`}
                  ${entry.detail && html`<dt>detail</dt><dd><pre>${JSON.stringify(entry.detail, null, 2)}</pre></dd>`}
                </dl>`
            : html`<p class="hint">Hover, focus or select a mark to see its detail.</p>`}
        </div>
      </section>
    `;
  }
}
